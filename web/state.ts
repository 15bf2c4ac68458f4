/**
 * The page's state and its URL form: everything a link needs to reproduce a view
 * (`?view=family&p1=1.2&p2=-0.8&beta=1&preset=paper&compare=1&inputs=…`, and `gate=hardSigmoid`
 * for the hard gate). Unknown or bad values fall back to the defaults, so any link opens something.
 */
export const VIEWS = ['family', 'layers', 'train'] as const;
export type View = (typeof VIEWS)[number];

/** The gate of the smooth maximum: σ, or the hard sigmoid h(z) = clip(z/6 + 1/2, 0, 1) (the ops' `gate` attribute). */
export const GATES = ['sigmoid', 'hardSigmoid'] as const;
export type Gate = (typeof GATES)[number];

export interface Preset {
  label: string;
  p1: number;
  p2: number;
  beta: number;
  /** Turns the compare view on (the paper's figure shows several β). */
  compare?: boolean;
  /** The gate (absent: σ). */
  gate?: Gate;
  description: string;
}

/** The documented presets (README "The explorer"); ACON-B's p = 0.25 is the official initial value. */
export const PRESETS = {
  swish: { label: 'Swish / ACON-A', p1: 1, p2: 0, beta: 1, description: 'x·σ(βx): p1 = 1, p2 = 0, β = 1' },
  aconB: { label: 'ACON-B', p1: 1, p2: 0.25, beta: 1, description: 'smooth PReLU, p = 0.25: p1 = 1, p2 = 0.25, β = 1' },
  relu: { label: 'ReLU limit (β → ∞)', p1: 1, p2: 0, beta: 100, description: 'max(x, 0) to within 0.003: p1 = 1, p2 = 0, β = 100' },
  linear: { label: 'Linear (β = 0)', p1: 1, p2: 0, beta: 0, description: 'the mean (p1 + p2)x/2 = x/2: p1 = 1, p2 = 0, β = 0' },
  paper: {
    label: "Paper's figure",
    p1: 1.2,
    p2: -0.8,
    beta: 1,
    compare: true,
    description: 'ACON-C with p1 = 1.2, p2 = −0.8 at several β',
  },
  hardAconA: {
    label: 'Hard-sigmoid ACON-A',
    p1: 1,
    p2: 0,
    beta: 1,
    gate: 'hardSigmoid',
    description: 'x·h(βx), h(z) = clip(z/6 + 1/2, 0, 1), hard-swish at β = 1: p1 = 1, p2 = 0, β = 1, hard-sigmoid gate',
  },
} satisfies Record<string, Preset>;
export type PresetName = keyof typeof PRESETS;

export interface ExplorerState {
  view: View;
  p1: number;
  p2: number;
  beta: number;
  gate: Gate;
  /** The preset the parameters came from, until one is changed. */
  preset: PresetName | 'custom';
  compare: boolean;
  /** Inputs of the n-input smooth maximum. */
  inputs: number[];
  /** Training: requested backend (default: the first of webgpu, webgl, wasm, cpu that works). */
  backend?: string;
  /** Training: number of steps per network. */
  steps: number;
  /** Training: start when the view opens. */
  autostart: boolean;
}

export const BETA_MIN = -10;
export const BETA_MAX = 100;
export const DEFAULT_INPUTS = [-1, 0.5, 2, 1.2];

export function defaultState(): ExplorerState {
  const { p1, p2, beta } = PRESETS.paper;
  return {
    view: 'family',
    p1,
    p2,
    beta,
    gate: 'sigmoid',
    preset: 'paper',
    compare: false,
    inputs: DEFAULT_INPUTS,
    steps: 150,
    autostart: false,
  };
}

function finite(v: string | null, fallback: number, lo = -Infinity, hi = Infinity): number {
  if (v === null || v.trim() === '') return fallback;
  const x = Number(v);
  return Number.isFinite(x) ? Math.min(hi, Math.max(lo, x)) : fallback;
}

export function stateFromQuery(search: string): ExplorerState {
  const q = new URLSearchParams(search);
  const d = defaultState();
  const view = q.get('view');
  const preset = q.get('preset');
  const inputs = (q.get('inputs') ?? '')
    .split(',')
    .filter((t) => t.trim() !== '')
    .map(Number)
    .filter((x) => Number.isFinite(x));
  const s: ExplorerState = {
    view: (VIEWS as readonly string[]).includes(view ?? '') ? (view as View) : d.view,
    p1: finite(q.get('p1'), d.p1),
    p2: finite(q.get('p2'), d.p2),
    beta: finite(q.get('beta'), d.beta, BETA_MIN, BETA_MAX),
    gate: (GATES as readonly string[]).includes(q.get('gate') ?? '') ? (q.get('gate') as Gate) : d.gate,
    preset: preset && preset in PRESETS ? (preset as PresetName) : 'custom',
    compare: q.get('compare') === '1',
    inputs: inputs.length > 0 ? inputs.slice(0, 16) : d.inputs,
    backend: q.get('backend') ?? undefined,
    steps: Math.round(finite(q.get('steps'), d.steps, 1, 5000)),
    autostart: q.get('autostart') === '1',
  };
  if (!q.has('p1') && !q.has('p2') && !q.has('beta') && !q.has('preset')) s.preset = d.preset;
  return s;
}

/** The query string for a state; values equal to the defaults' are still written, so links stay stable. */
export function stateToQuery(s: ExplorerState): string {
  const q = new URLSearchParams();
  q.set('view', s.view);
  q.set('p1', String(s.p1));
  q.set('p2', String(s.p2));
  q.set('beta', String(s.beta));
  if (s.gate !== 'sigmoid') q.set('gate', s.gate);
  if (s.preset !== 'custom') q.set('preset', s.preset);
  if (s.compare) q.set('compare', '1');
  q.set('inputs', s.inputs.join(','));
  if (s.backend) q.set('backend', s.backend);
  if (s.steps !== defaultState().steps) q.set('steps', String(s.steps));
  if (s.autostart) q.set('autostart', '1');
  return `?${q.toString()}`;
}

/**
 * The β slider is symmetric-log: β = sign(t)·0.1·(10^|t| − 1), linear within about ±0.1 and
 * logarithmic beyond, so that −10…100 fits one slider with room near 0.
 */
export const betaFromSlider = (t: number): number => Math.sign(t) * 0.1 * (10 ** Math.abs(t) - 1);
export const sliderFromBeta = (beta: number): number => Math.sign(beta) * Math.log10(1 + Math.abs(beta) / 0.1);

/** β from the slider, rounded to 3 significant digits (so links stay short). */
export function roundBeta(beta: number): number {
  if (beta === 0) return 0;
  return Number(beta.toPrecision(3));
}
