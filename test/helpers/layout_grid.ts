/**
 * `ops.aconC` against the float64 reference for every rank, β layout and parameter sharing: y and
 * all four gradients (sums of n terms within rtol·√n of their largest entry), their shapes, and no
 * leaked tensor. Browser-safe: the Node tests and the browser page both run it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ops } from '../../src/index.js';
import { LAYOUTS, betaShape, reference } from './acon_reference.js';
import { assertClose, check, checkShape } from './assert_close.js';
import { randomArray, rng } from './random.js';

/** Every rank, C = 1 and C not divisible by 4, batch 1. */
export const GRID_SHAPES: number[][] = [
  [5, 7],
  [3, 4, 6],
  [2, 3, 5, 4],
  [2, 2, 3, 1],
  [1, 3, 2, 9],
];

export async function checkLayoutGrid(shapes: number[][], rtol: number): Promise<void> {
  const r = rng(10);
  for (const xs of shapes)
    for (const layout of LAYOUTS)
      for (const sharedP of [false, true]) {
        const C = xs[xs.length - 1],
          n = xs.reduce((a, b) => a * b, 1);
        const bShape = betaShape(xs, layout);
        const x = randomArray(r, n, 3),
          g = randomArray(r, n);
        const p1 = randomArray(r, sharedP ? 1 : C),
          p2 = randomArray(r, sharedP ? 1 : C);
        const beta = randomArray(
          r,
          bShape.reduce((a, b) => a * b, 1),
          2,
        );
        const ref = reference(xs, x, p1, p2, beta, bShape, g);
        const what = `x [${xs}] β [${bShape}] p ${sharedP ? 'shared' : 'per channel'}`;
        const [xt, gt, p1t, p2t, bt] = [tf.tensor(x, xs), tf.tensor(g, xs), tf.tensor(p1), tf.tensor(p2), tf.tensor(beta, bShape)];
        const before = tf.memory().numTensors;
        const y = ops.aconC(xt, p1t, p2t, bt);
        assertClose(await y.data(), ref.y, `${what}: y`, { rtol, atolRel: rtol });
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(ops.aconC(a, b, c, d), gt)))([
          xt,
          p1t,
          p2t,
          bt,
        ]);
        grads.forEach((t, i) => checkShape(t.shape, [xs, p1t.shape, p2t.shape, bShape][i], `${what}: gradient ${i}`));
        const sumTol = { rtol, atolRel: rtol * Math.sqrt(n) };
        assertClose(await grads[0].data(), ref.dx, `${what}: dx`, { rtol, atolRel: rtol });
        assertClose(await grads[1].data(), ref.dp1, `${what}: dp1`, sumTol);
        assertClose(await grads[2].data(), ref.dp2, `${what}: dp2`, sumTol);
        assertClose(await grads[3].data(), ref.db, `${what}: dβ`, sumTol);
        tf.dispose([y, ...grads]);
        check(tf.memory().numTensors === before, `${what}: tensors leaked by forward + backward`);
        tf.dispose([xt, gt, p1t, p2t, bt]);
      }
}
