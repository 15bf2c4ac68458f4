/**
 * How the report names, colours and references the activations of a comparison: the paper's four
 * (whatever spelling `acon compare` uses, e.g. `metaAconC`, `meta-acon`) and anything else.
 */

/** Top-1 error (%) of ShuffleNetV2 0.5× on ImageNet as reported in the paper (Ma et al., CVPR 2021). */
export const PAPER_TOP1_ERROR: Readonly<Record<string, number>> = { relu: 39.4, swish: 38.3, aconc: 37.0, metaaconc: 34.8 };

const KNOWN: Readonly<Record<string, { label: string; color: string }>> = {
  relu: { label: 'ReLU', color: '#6b6b6b' },
  swish: { label: 'Swish', color: '#e69f00' },
  aconc: { label: 'ACON-C', color: '#0072b2' },
  metaaconc: { label: 'Meta-ACON', color: '#d55e00' },
};

const ALIASES: Readonly<Record<string, string>> = { silu: 'swish', metaacon: 'metaaconc' };

/** Okabe–Ito colours left over for activations outside the paper's four. */
const OTHER_COLORS = ['#009e73', '#cc79a7', '#56b4e9', '#000000', '#f0e442'];

/** Canonical key of an activation name: lower case letters and digits, aliases resolved. */
export function activationKey(name: string): string {
  const k = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return ALIASES[k] ?? k;
}

export interface ActivationStyle {
  label: string;
  color: string;
  /** The paper's ImageNet top-1 error (%), when it reports this activation. */
  paperTop1?: number;
}

/** Display label, colour and paper reference of each name, in the given order. */
export function activationStyles(names: readonly string[]): Map<string, ActivationStyle> {
  const styles = new Map<string, ActivationStyle>();
  let other = 0;
  for (const name of names) {
    const key = activationKey(name);
    const known = KNOWN[key];
    styles.set(name, {
      label: known?.label ?? name,
      color: known?.color ?? OTHER_COLORS[other++ % OTHER_COLORS.length],
      paperTop1: PAPER_TOP1_ERROR[key],
    });
  }
  return styles;
}
