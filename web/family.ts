/**
 * "The family": ACON-C for the chosen p1, p2, β and gate (σ or the hard sigmoid) — f and f′ with
 * the linear pieces, the limits and the derivative bounds, several β at once in compare mode, and
 * the n-input smooth maximum. All values come from the library's float64 reference math (`acon`'s
 * `math`).
 */
import { math } from 'acon';
import type { LineSeries, Point } from '../src/report/svg.js';
import { drawLineChart, linspace } from './charts.js';
import {
  BETA_MAX,
  BETA_MIN,
  GATES,
  PRESETS,
  betaFromSlider,
  roundBeta,
  sliderFromBeta,
  type ExplorerState,
  type Gate,
  type PresetName,
} from './state.js';

const XS = linspace(-6, 6, 241);
/** The β of the paper's figure (compare mode); Infinity is drawn as max(p1x, p2x). */
export const COMPARE_BETAS = [0, 0.25, 0.5, 1, 2, 5, 10, Infinity];
const COMPARE_COLORS = ['#b0b0b0', '#9ecae1', '#6baed6', '#3182bd', '#08519c', '#756bb1', '#54278f', '#000000'];
const F_COLOR = '#0072b2',
  PIECE_COLORS = ['#009e73', '#cc79a7'],
  LIMIT_COLORS = ['#d55e00', '#e69f00'],
  BOUND_COLOR = '#777';

const fmt = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(4)).toString().replace('-', '−') : String(v));

function curve(fn: (x: number) => number): Point[] {
  return XS.map((x) => [x, fn(x)] as const);
}

function f(p1: number, p2: number, beta: number, gate: Gate): (x: number) => number {
  if (beta === Infinity) return (x) => Math.max(p1 * x, p2 * x);
  return gate === 'hardSigmoid' ? (x) => math.aconCHard(x, p1, p2, beta) : (x) => math.aconC(x, p1, p2, beta);
}

function df(p1: number, p2: number, beta: number, gate: Gate): (x: number) => number {
  if (beta === Infinity) return (x) => (x > 0 ? Math.max(p1, p2) : Math.min(p1, p2));
  return gate === 'hardSigmoid' ? (x) => math.aconCHardPartials(x, p1, p2, beta).dx : (x) => math.aconCDerivative(x, p1, p2, beta);
}

/**
 * f′ as plotted: with the hard gate f′ jumps where z = β(p1 − p2)x = ±3, so the line stops at each
 * kink (at the one-sided value from inside) and restarts there (at the value outside).
 */
function derivativeCurve(p1: number, p2: number, beta: number, gate: Gate): Point[] {
  const g = df(p1, p2, beta, gate);
  const c = beta * (p1 - p2);
  if (gate !== 'hardSigmoid' || !Number.isFinite(beta) || c === 0) return curve(g);
  const kinks = [-3 / Math.abs(c), 3 / Math.abs(c)].filter((k) => k > XS[0] && k < XS[XS.length - 1]);
  const points: Point[] = [];
  for (const x of XS) {
    // Grid points on a kink are replaced by its one-sided values.
    let onKink = false;
    while (kinks.length > 0 && kinks[0] <= x + 1e-9) {
      const k = kinks.shift()!;
      const inside = k * (1 - 1e-12),
        outside = k * (1 + 1e-12);
      const [before, after] = k < 0 ? [outside, inside] : [inside, outside];
      points.push([before, g(before)], [k, NaN], [after, g(after)]);
      onKink ||= Math.abs(x - k) <= 1e-9;
    }
    if (!onKink) points.push([x, g(x)]);
  }
  return points;
}

/** κ of the gate: f′ lies within [κ·lo − (κ−1)·hi, κ·hi − (κ−1)·lo] (lo, hi = min, max of p1, p2). */
export const GATE_OVERSHOOT: Record<Gate, number> = {
  sigmoid: math.DERIVATIVE_OVERSHOOT,
  /** k = h(z) + z·h′(z) = z/3 + 1/2 on −3 < z < 3 (and 0 or 1 outside) ranges over (−1/2, 3/2). */
  hardSigmoid: 1.5,
};

/** The bounds of f′ for the gate: the paper's §3.2 for σ (`math.aconCDerivativeBounds`), κ = 1.5 for the hard sigmoid. */
export function derivativeBounds(p1: number, p2: number, gate: Gate): { lower: number; upper: number } {
  if (gate === 'sigmoid') return math.aconCDerivativeBounds(p1, p2);
  const k = GATE_OVERSHOOT[gate],
    hi = Math.max(p1, p2),
    lo = Math.min(p1, p2);
  return { lower: k * lo - (k - 1) * hi, upper: k * hi - (k - 1) * lo };
}

/** `math.switchSharpness` with the gate: |g(z) − g(−z)| at z = β(p1 − p2)·3. */
function sharpness(p1: number, p2: number, beta: number, gate: Gate): number {
  if (gate === 'sigmoid') return math.switchSharpness(p1, p2, beta);
  const z = beta * (p1 - p2) * 3;
  return Math.abs(math.hardSigmoid(z) - math.hardSigmoid(-z));
}

const betaLabel = (b: number) => (b === Infinity ? 'β = ∞' : `β = ${fmt(b)}`);

export function familySeries(s: ExplorerState): { f: LineSeries[]; df: LineSeries[] } {
  const { p1, p2, beta, gate } = s;
  const hi = Math.max(p1, p2),
    lo = Math.min(p1, p2);
  const fs: LineSeries[] = [],
    dfs: LineSeries[] = [];
  if (s.compare) {
    COMPARE_BETAS.forEach((b, i) => {
      fs.push({ label: betaLabel(b), color: COMPARE_COLORS[i], points: curve(f(p1, p2, b, gate)), width: 1.8 });
      dfs.push({ label: betaLabel(b), color: COMPARE_COLORS[i], points: derivativeCurve(p1, p2, b, gate), width: 1.8 });
    });
  }
  fs.unshift({ label: `f(x), ${betaLabel(beta)}`, color: F_COLOR, points: curve(f(p1, p2, beta, gate)), width: 3 });
  dfs.unshift({ label: `f′(x), ${betaLabel(beta)}`, color: F_COLOR, points: derivativeCurve(p1, p2, beta, gate), width: 3 });
  if (!s.compare) {
    fs.push(
      { label: `p1·x (p1 = ${fmt(p1)})`, color: PIECE_COLORS[0], points: curve((x) => p1 * x), width: 1.2, dash: '2 3' },
      { label: `p2·x (p2 = ${fmt(p2)})`, color: PIECE_COLORS[1], points: curve((x) => p2 * x), width: 1.2, dash: '2 3' },
      { label: 'max(p1x, p2x): β → ∞', color: LIMIT_COLORS[0], points: curve((x) => Math.max(p1 * x, p2 * x)), width: 1.5, dash: '7 4' },
      { label: '(p1 + p2)x/2: β = 0', color: LIMIT_COLORS[1], points: curve((x) => ((p1 + p2) * x) / 2), width: 1.5, dash: '7 4' },
    );
    dfs.push(
      { label: `p1 = ${fmt(p1)}`, color: PIECE_COLORS[0], points: curve(() => p1), width: 1.2, dash: '2 3' },
      { label: `p2 = ${fmt(p2)}`, color: PIECE_COLORS[1], points: curve(() => p2), width: 1.2, dash: '2 3' },
    );
  }
  if (hi > lo && beta > 0) {
    const b = derivativeBounds(p1, p2, gate);
    dfs.push(
      {
        label: `bounds ${fmt(b.lower)}, ${fmt(b.upper)} (${gate === 'sigmoid' ? 'σ: κ ≈ 1.0998' : 'hard gate: κ = 1.5'})`,
        color: BOUND_COLOR,
        points: curve(() => b.upper),
        width: 1.2,
        dash: '8 3 2 3',
      },
      {
        label: `lower bound ${fmt(b.lower)}`,
        color: BOUND_COLOR,
        points: curve(() => b.lower),
        width: 1.2,
        dash: '8 3 2 3',
        legend: false,
      },
    );
  }
  return { f: fs, df: dfs };
}

const SMAX_BETAS = linspace(-10, 20, 301);

export function smoothMaxSeries(s: ExplorerState): LineSeries[] {
  const xs = s.inputs;
  const max = Math.max(...xs),
    min = Math.min(...xs),
    mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const flat = (v: number) => SMAX_BETAS.map((b) => [b, v] as const);
  return [
    { label: 'S_β(x1…xn)', color: F_COLOR, points: SMAX_BETAS.map((b) => [b, math.smoothMaximum(xs, b)] as const), width: 3 },
    { label: `max = ${fmt(max)}`, color: LIMIT_COLORS[0], points: flat(max), width: 1.5, dash: '7 4' },
    { label: `mean = ${fmt(mean)}`, color: LIMIT_COLORS[1], points: flat(mean), width: 1.5, dash: '7 4' },
    { label: `min = ${fmt(min)}`, color: PIECE_COLORS[1], points: flat(min), width: 1.2, dash: '2 3' },
    {
      label: `the β above (${fmt(s.beta)})`,
      color: '#444',
      points:
        s.beta <= 20
          ? [
              [s.beta, min],
              [s.beta, max],
            ]
          : [],
      width: 1,
      dash: '1 2',
    },
  ];
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export interface FamilyView {
  render(s: ExplorerState): void;
}

/** Wires the controls; `update` receives every change (the caller re-renders and writes the URL). */
export function mountFamily(update: (change: Partial<ExplorerState>) => void): FamilyView {
  const p1Range = $<HTMLInputElement>('p1-range'),
    p1Number = $<HTMLInputElement>('p1-number');
  const p2Range = $<HTMLInputElement>('p2-range'),
    p2Number = $<HTMLInputElement>('p2-number');
  const betaRange = $<HTMLInputElement>('beta-range'),
    betaNumber = $<HTMLInputElement>('beta-number');
  betaRange.min = String(Math.floor(sliderFromBeta(BETA_MIN) * 100) / 100);
  betaRange.max = String(Math.ceil(sliderFromBeta(BETA_MAX) * 100) / 100);
  const clampBeta = (b: number) => Math.min(BETA_MAX, Math.max(BETA_MIN, b));
  const onNumber = (el: HTMLInputElement, key: 'p1' | 'p2' | 'beta') =>
    el.addEventListener('input', () => {
      const v = Number(el.value);
      if (el.value.trim() !== '' && Number.isFinite(v)) update({ [key]: key === 'beta' ? clampBeta(v) : v, preset: 'custom' });
    });
  p1Range.addEventListener('input', () => update({ p1: Number(p1Range.value), preset: 'custom' }));
  p2Range.addEventListener('input', () => update({ p2: Number(p2Range.value), preset: 'custom' }));
  betaRange.addEventListener('input', () =>
    update({ beta: clampBeta(roundBeta(betaFromSlider(Number(betaRange.value)))), preset: 'custom' }),
  );
  onNumber(p1Number, 'p1');
  onNumber(p2Number, 'p2');
  onNumber(betaNumber, 'beta');
  const gateSelect = $<HTMLSelectElement>('gate-select');
  gateSelect.addEventListener('change', () => {
    if ((GATES as readonly string[]).includes(gateSelect.value)) update({ gate: gateSelect.value as Gate, preset: 'custom' });
  });
  $<HTMLInputElement>('compare').addEventListener('change', (e) => update({ compare: (e.target as HTMLInputElement).checked }));
  const inputs = $<HTMLInputElement>('smax-inputs');
  inputs.addEventListener('input', () => {
    const xs = inputs.value
      .split(/[\s,;]+/)
      .filter((t) => t !== '')
      .map(Number);
    const ok = xs.length > 0 && xs.length <= 16 && xs.every(Number.isFinite);
    inputs.setAttribute('aria-invalid', String(!ok));
    if (ok) update({ inputs: xs });
  });
  const presetBox = $('presets');
  for (const [name, p] of Object.entries(PRESETS)) {
    const b = document.createElement('button');
    b.type = 'button';
    b.id = `preset-${name}`;
    b.textContent = p.label;
    b.title = p.description;
    b.setAttribute('aria-pressed', 'false');
    b.setAttribute('aria-description', p.description);
    b.addEventListener('click', () =>
      update({
        p1: p.p1,
        p2: p.p2,
        beta: p.beta,
        gate: 'gate' in p ? p.gate : 'sigmoid',
        preset: name as PresetName,
        ...('compare' in p ? { compare: p.compare } : {}),
      }),
    );
    presetBox.append(b);
  }

  /** Sets a control without moving the caret of the one being typed in. */
  const setValue = (el: HTMLInputElement, v: number) => {
    if (document.activeElement === el && Number(el.value) === v) return;
    el.value = String(v);
  };

  return {
    render(s) {
      setValue(p1Range, s.p1);
      setValue(p1Number, s.p1);
      setValue(p2Range, s.p2);
      setValue(p2Number, s.p2);
      if (document.activeElement !== betaRange) betaRange.value = String(sliderFromBeta(s.beta));
      setValue(betaNumber, s.beta);
      betaRange.setAttribute('aria-valuetext', `β = ${fmt(s.beta)}`);
      $<HTMLInputElement>('compare').checked = s.compare;
      gateSelect.value = s.gate;
      const hard = s.gate === 'hardSigmoid';
      const g = hard ? 'h' : 'σ',
        what = hard ? 'ACON-C with the hard-sigmoid gate' : 'ACON-C';
      $('family-formula').textContent = `f(x) = (p1 − p2)x·${g}(β(p1 − p2)x) + p2x${hard ? ', h(z) = clip(z/6 + 1/2, 0, 1)' : ''}`;
      $('df-caption').textContent = hard
        ? 'f′(x) = p2 + (p1 − p2)·k, k = h(z) + z·h′(z) = z/3 + 1/2 for −3 < z < 3 (z = β(p1 − p2)x), 0 or 1 outside: it jumps at z = ±3 and stays within the bounds for κ = 1.5, whatever β is.'
        : 'f′(x): it tends to p1 and p2 and stays within the bounds of §3.2 whatever β is.';
      if (document.activeElement !== inputs) inputs.value = s.inputs.join(', ');
      for (const name of Object.keys(PRESETS)) $(`preset-${name}`).setAttribute('aria-pressed', String(s.preset === name));

      const { f: fs, df: dfs } = familySeries(s);
      drawLineChart(
        $('plot-f'),
        { series: fs, title: 'f(x)', xLabel: 'x', zeroLines: true },
        `${what} f(x) for p1 = ${fmt(s.p1)}, p2 = ${fmt(s.p2)}, β = ${fmt(s.beta)}`,
      );
      drawLineChart(
        $('plot-df'),
        { series: dfs, title: 'f′(x)', xLabel: 'x', zeroLines: true },
        `${what} derivative f′(x) for p1 = ${fmt(s.p1)}, p2 = ${fmt(s.p2)}, β = ${fmt(s.beta)}`,
      );
      const bounds = derivativeBounds(s.p1, s.p2, s.gate);
      const sharp = sharpness(s.p1, s.p2, s.beta, s.gate);
      $('family-readout').textContent =
        `p1 = ${fmt(s.p1)}, p2 = ${fmt(s.p2)}, β = ${fmt(s.beta)}: ${hard ? 'hard-sigmoid gate: ' : ''}f(1) = ${fmt(f(s.p1, s.p2, s.beta, s.gate)(1))}, ` +
        `f′ within [${fmt(bounds.lower)}, ${fmt(bounds.upper)}] for β > 0; switching over |x| ≤ 3: ${fmt(sharp)} (|${g}(z) − ${g}(−z)| at z = 3β(p1 − p2); 0 = linear, "not activate"; 1 = max, "activate").`;
      drawLineChart(
        $('plot-smax'),
        { series: smoothMaxSeries(s), title: 'S_β(x1…xn)', xLabel: 'β', zeroLines: true },
        `smooth maximum of ${s.inputs.length} inputs over β`,
        { maxHeight: 300 },
      );
      const sm = math.smoothMaximum(s.inputs, s.beta);
      $('smax-readout').textContent =
        `n = ${s.inputs.length}: S_β = ${fmt(sm)} at β = ${fmt(s.beta)}; max ${fmt(Math.max(...s.inputs))}, mean ${fmt(s.inputs.reduce((a, b) => a + b, 0) / s.inputs.length)}.`;
    },
  };
}
