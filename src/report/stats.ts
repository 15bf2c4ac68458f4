/**
 * Summary statistics over seeds: mean, sample standard deviation, quantiles and the Student-t
 * confidence interval of the mean.
 */

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (divisor n − 1); NaN for fewer than two values. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / (xs.length - 1));
}

/** Quantile q ∈ [0, 1] with linear interpolation between order statistics (R's type 7). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h),
    hi = Math.ceil(h);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/**
 * P(|T| ≤ t) for Student's t with an integer number of degrees of freedom, by the finite series
 * of Abramowitz & Stegun 26.7.3–26.7.4 (exact up to rounding).
 */
export function studentTCentralProbability(t: number, df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new Error(`studentTCentralProbability: df must be a positive integer, got ${df}`);
  const theta = Math.atan(Math.abs(t) / Math.sqrt(df));
  const s = Math.sin(theta),
    c2 = Math.cos(theta) ** 2;
  let term = 1,
    sum = 1;
  if (df % 2 === 0) {
    for (let k = 2; k <= df - 2; k += 2) {
      term *= ((k - 1) / k) * c2;
      sum += term;
    }
    return s * sum;
  }
  if (df === 1) return (2 / Math.PI) * theta;
  for (let k = 3; k <= df - 2; k += 2) {
    term *= ((k - 1) / k) * c2;
    sum += term;
  }
  return (2 / Math.PI) * (theta + s * Math.sqrt(c2) * sum);
}

/** Two-sided critical value t* with P(|T| ≤ t*) = level (e.g. 12.706 for df = 1, level 0.95). */
export function studentTCritical(df: number, level = 0.95): number {
  let lo = 0,
    hi = 1;
  while (studentTCentralProbability(hi, df) < level) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCentralProbability(mid, df) < level) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Mean of n values with its confidence interval; `half` is null when n < 2 (no interval). */
export interface MeanCI {
  n: number;
  mean: number;
  std: number;
  /** Half-width t*·std/√n of the interval mean ± half. */
  half: number | null;
}

export function meanCI(xs: readonly number[], level = 0.95): MeanCI {
  const n = xs.length,
    m = mean(xs),
    std = sampleStd(xs);
  return { n, mean: m, std, half: n < 2 ? null : (studentTCritical(n - 1, level) * std) / Math.sqrt(n) };
}
