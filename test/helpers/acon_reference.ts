/** The float64 reference of the ACON-C op for every β layout: what the kernel tests (Node and browser) compare against. */
import { aconCPartials, aconC as aconC64 } from '../../src/math/acon.js';

export type Layout = 'shared' | 'channel' | 'sample-channel' | 'sample' | 'pixel' | 'row';
export const LAYOUTS: Layout[] = ['shared', 'channel', 'sample-channel', 'sample', 'pixel', 'row'];

/** β's shape for x's shape and a layout ('row' = broadcast along only some spatial axes). */
export function betaShape(x: number[], layout: Layout): number[] {
  const r = x.length,
    N = x[0],
    C = x[r - 1],
    ones = new Array<number>(r - 2).fill(1);
  switch (layout) {
    case 'shared':
      return [1];
    case 'channel':
      return [C];
    case 'sample-channel':
      return [N, ...ones, C];
    case 'sample':
      return [N, ...ones, 1];
    case 'pixel':
      return x;
    case 'row':
      return r === 4 ? [1, x[1], 1, C] : x.map((d, i) => (i === 0 ? 1 : d));
  }
}

/** Index into a row-major array of shape `b` broadcast against `x` at x's multi-index. */
function broadcastIndex(idx: number[], x: number[], b: number[]): number {
  const pad = [...new Array(x.length - b.length).fill(1), ...b];
  let k = 0;
  for (let i = 0; i < x.length; i++) k = k * pad[i] + (pad[i] === 1 ? 0 : idx[i]);
  return k;
}

function unravel(i: number, shape: number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = i % shape[a];
    i = Math.floor(i / shape[a]);
  }
  return idx;
}

/** Float64 reference: y and the gradients of L = Σ y·g, reduced to each parameter's shape. */
export function reference(
  xs: number[],
  x: Float32Array,
  p1: Float32Array,
  p2: Float32Array,
  beta: Float32Array,
  bShape: number[],
  g: Float32Array,
) {
  const C = xs[xs.length - 1];
  const y = new Float64Array(x.length),
    dx = new Float64Array(x.length);
  const dp1 = new Float64Array(p1.length),
    dp2 = new Float64Array(p2.length),
    db = new Float64Array(beta.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % C,
      pc = p1.length === 1 ? 0 : c,
      p2c = p2.length === 1 ? 0 : c;
    const bi = broadcastIndex(unravel(i, xs), xs, bShape);
    y[i] = aconC64(x[i], p1[pc], p2[p2c], beta[bi]);
    const d = aconCPartials(x[i], p1[pc], p2[p2c], beta[bi]);
    dx[i] = g[i] * d.dx;
    dp1[pc] += g[i] * d.dp1;
    dp2[p2c] += g[i] * d.dp2;
    db[bi] += g[i] * d.dbeta;
  }
  return { y, dx, dp1, dp2, db };
}
