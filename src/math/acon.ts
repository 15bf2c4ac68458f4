/**
 * Float64 reference math of the ACON family (Ma et al., "Activate or Not: Learning Customized
 * Activation", CVPR 2021). No tfjs: used by tests as an oracle, by reports and by the explorer.
 */

/** Logistic sigmoid σ(z) = 1/(1+e^−z), stable for any z (never exp of a large positive number). */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * Smooth maximum of two values, S_β(a, b) = (a − b)·σ(β(a − b)) + b (paper eq. 2 with n = 2).
 * β → ∞ gives max(a, b); β = 0 gives (a + b)/2; β → −∞ gives min(a, b).
 */
export function smoothMax(a: number, b: number, beta: number): number {
  const z = beta * (a - b);
  const s = sigmoid(z),
    t = sigmoid(-z);
  return (s === 0 ? 0 : a * s) + (t === 0 ? 0 : b * t);
}

/** ACON-A (Swish with learnable β): S_β(x, 0) = x·σ(βx). */
export function aconA(x: number, beta: number): number {
  return smoothMax(x, 0, beta);
}

/** ACON-B (smooth PReLU): S_β(x, px) = (1 − p)x·σ(β(1 − p)x) + px. */
export function aconB(x: number, p: number, beta: number): number {
  return smoothMax(x, p * x, beta);
}

/** ACON-C: S_β(p1x, p2x) = (p1 − p2)x·σ(β(p1 − p2)x) + p2x (paper eq. 5). */
export function aconC(x: number, p1: number, p2: number, beta: number): number {
  return smoothMax(p1 * x, p2 * x, beta);
}

/** Partial derivatives of ACON-C at one point. */
export interface AconCPartials {
  /** ∂f/∂x = (p1 − p2)·k + p2, with k = σ(z) + z·σ(z)·σ(−z), z = β(p1 − p2)x. */
  dx: number;
  /** ∂f/∂p1 = x·k. */
  dp1: number;
  /** ∂f/∂p2 = x·(1 − k). */
  dp2: number;
  /** ∂f/∂β = d²·σ(z)·σ(−z), d = (p1 − p2)x. */
  dbeta: number;
}

export function aconCPartials(x: number, p1: number, p2: number, beta: number): AconCPartials {
  const d = (p1 - p2) * x;
  const z = beta * d;
  const s = sigmoid(z),
    t = sigmoid(-z);
  const st = s * t;
  const zst = st === 0 ? 0 : z * st;
  const k = s + zst,
    k2 = t - zst;
  return { dx: p1 * k + p2 * k2, dp1: x * k, dp2: x * k2, dbeta: st === 0 ? 0 : d * st * d };
}

/** ∂f/∂x of ACON-C. */
export function aconCDerivative(x: number, p1: number, p2: number, beta: number): number {
  return aconCPartials(x, p1, p2, beta).dx;
}

/** ∂f/∂x of ACON-A: σ(βx) + βx·σ(βx)·σ(−βx) (ACON-C with p1 = 1, p2 = 0). */
export function aconADerivative(x: number, beta: number): number {
  return aconCDerivative(x, 1, 0, beta);
}

/** ∂f/∂x of ACON-B: (1 − p)·k + p with k = σ(z) + z·σ(z)·σ(−z), z = β(1 − p)x (ACON-C with p1 = 1, p2 = p). */
export function aconBDerivative(x: number, p: number, beta: number): number {
  return aconCDerivative(x, 1, p, beta);
}

/** Range of ∂f/∂x for ACON-A (Swish): [−(κ−1), κ] = [−0.0998, 1.0998], whatever β is. */
export function aconADerivativeBounds(): { lower: number; upper: number } {
  return aconCDerivativeBounds(1, 0);
}

/** Range of ∂f/∂x for ACON-B: the ACON-C range with p1 = 1, p2 = p, whatever β is. */
export function aconBDerivativeBounds(p: number): { lower: number; upper: number } {
  return aconCDerivativeBounds(1, p);
}

/**
 * Range of ∂f/∂x for ACON-C when β > 0 (paper §3.2): the derivative tends to p1 as x → +∞ and to
 * p2 as x → −∞ (p1 > p2), and stays within [κ·p2 − (κ−1)·p1, κ·p1 − (κ−1)·p2] whatever β is;
 * β only sets how fast it gets there. κ = `DERIVATIVE_OVERSHOOT` (the paper's 1.0998).
 */
export function aconCDerivativeBounds(p1: number, p2: number): { lower: number; upper: number } {
  const hi = Math.max(p1, p2),
    lo = Math.min(p1, p2);
  return {
    lower: DERIVATIVE_OVERSHOOT * lo - (DERIVATIVE_OVERSHOOT - 1) * hi,
    upper: DERIVATIVE_OVERSHOOT * hi - (DERIVATIVE_OVERSHOOT - 1) * lo,
  };
}

/**
 * κ = max_u σ(u)·(1 + u·σ(−u)) = 1.09983932…, reached at u = β(p1 − p2)x ≈ ±2.39936; the paper
 * truncates it to 1.0998, which the derivative exceeds by up to 4e−5·(p1 − p2).
 */
export const DERIVATIVE_OVERSHOOT = 1.0998393201288668;

/**
 * How far an ACON-C unit switches over inputs in [−range, range]: |σ(z) − σ(−z)| at
 * z = β(p1 − p2)·range, in [0, 1]. 0: f is the linear mean (p1 + p2)x/2 there ("not activate");
 * 1: f is max(p1x, p2x) ("activate"). Used for the per-layer "activate or not" summary.
 */
export function switchSharpness(p1: number, p2: number, beta: number, range = 3): number {
  const z = beta * (p1 - p2) * range;
  return Math.abs(sigmoid(z) - sigmoid(-z));
}

/**
 * Smooth maximum of n values (paper eq. 1): S_β(x1…xn) = Σ xᵢ·e^{βxᵢ} / Σ e^{βxᵢ}. β → ∞ gives
 * max, β = 0 the mean, β → −∞ the min; for n = 2 it is `smoothMax`. Stable for any finite β and
 * xᵢ (the exponents are shifted to be ≤ 0); β = ±Infinity gives the max / min exactly.
 */
export function smoothMaximum(values: readonly number[], beta: number): number {
  if (values.length === 0) throw new Error('smoothMaximum: needs at least one value, got none');
  if (beta === Infinity) return Math.max(...values);
  if (beta === -Infinity) return Math.min(...values);
  // e^{β(xᵢ − x*)} with x* the max (β > 0) or the min (β < 0): every exponent ≤ 0.
  const pivot = beta >= 0 ? Math.max(...values) : Math.min(...values);
  let num = 0,
    den = 0;
  for (const v of values) {
    const w = v === pivot ? 1 : Math.exp(beta * (v - pivot));
    num += v * w;
    den += w;
  }
  return num / den;
}

// ---- The hard-sigmoid gate (nmaac/acon#2, #12: σ replaced by a piecewise-linear h for latency)

/** h(z) = clip(z/6 + 1/2, 0, 1), PyTorch's hardsigmoid; h(−z) = 1 − h(z), as for σ. */
export function hardSigmoid(z: number): number {
  return Math.min(1, Math.max(0, z / 6 + 0.5));
}

/** h′(z) = 1/6 on −3 < z < 3 and 0 elsewhere; at the kinks z = ±3 the subgradient 0, as PyTorch's hardsigmoid_backward. */
export function hardSigmoidSlope(z: number): number {
  return z > -3 && z < 3 ? 1 / 6 : 0;
}

/** ACON-C with the hard gate: p1x·h(z) + p2x·h(−z), z = β(p1 − p2)x (ACON-A: p1 = 1, p2 = 0; ACON-B: p1 = 1, p2 = p). */
export function aconCHard(x: number, p1: number, p2: number, beta: number): number {
  const z = beta * (p1 - p2) * x;
  return p1 * x * hardSigmoid(z) + p2 * x * hardSigmoid(-z);
}

/** Partial derivatives of `aconCHard`: the σ formulas with σ′ = s·t replaced by h′(z), k = h(z) + z·h′(z). */
export function aconCHardPartials(x: number, p1: number, p2: number, beta: number): AconCPartials {
  const d = (p1 - p2) * x;
  const z = beta * d;
  const slope = hardSigmoidSlope(z);
  const k = hardSigmoid(z) + z * slope,
    k2 = hardSigmoid(-z) - z * slope;
  return { dx: p1 * k + p2 * k2, dp1: x * k, dp2: x * k2, dbeta: d * d * slope };
}
