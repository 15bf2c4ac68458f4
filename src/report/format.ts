/** Number formatting for the report: fixed, locale-independent, "—" for missing values. */

const MISSING = '—';

/** A fraction as a percentage with `digits` decimals: 0.1234 → "12.34". */
export function pct(fraction: number, digits = 2): string {
  return Number.isFinite(fraction) ? (fraction * 100).toFixed(digits) : MISSING;
}

/** Typographic minus sign for display. */
function minus(s: string): string {
  return s.replace(/^-/, '−');
}

/** `digits` decimals with a typographic minus: -1 → "−1.000". */
export function fixed(v: number, digits: number): string {
  return Number.isFinite(v) ? minus(v.toFixed(digits)) : MISSING;
}

/** Three significant digits, typographic minus: 1.2345 → "1.23", -0.5 → "−0.5". */
export function sig3(v: number): string {
  if (!Number.isFinite(v)) return MISSING;
  if (Math.abs(v) >= 1000) return minus(v.toFixed(0));
  const s = String(Number(v.toPrecision(3)));
  return s === '-0' ? '0' : minus(s);
}

/** An integer with thousands separators: 1234567 → "1,234,567". */
export function grouped(v: number): string {
  return Number.isFinite(v)
    ? Math.round(v)
        .toString()
        .replace(/\B(?=(\d{3})+(?!\d))/g, ',')
    : MISSING;
}

/** A count with an SI suffix: 11_920_000 → "11.9 M". */
export function si(v: number): string {
  if (!Number.isFinite(v)) return MISSING;
  for (const [div, unit] of [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const)
    if (Math.abs(v) >= div) return `${(v / div).toPrecision(3)} ${unit}`;
  return String(Math.round(v));
}
