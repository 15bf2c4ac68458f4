/**
 * The ACON ops on every backend: values and gradients against the float64 reference math for every
 * rank and β layout, finite differences, the paper's properties, stability, leaks and input errors.
 */
import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { ops } from '../../src/index.js';
import { aconCGeneric } from '../../src/ops/acon/generic.js';
import { ACON_C, ACON_C_GRAD } from '../../src/ops/acon/kernel_names.js';
import { aconCDerivativeBounds, sigmoid } from '../../src/math/acon.js';
import { KERNEL_BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose } from '../helpers/assert_close.js';
import { randomArray, rng } from '../helpers/random.js';
import { GRID_SHAPES, checkLayoutGrid } from '../helpers/layout_grid.js';
import { LAYOUTS, betaShape, reference } from '../helpers/acon_reference.js';

for (const backend of KERNEL_BACKENDS) {
  describe(`ops.aconC on ${backend}`, () => {
    before(() => useBackend(backend));

    it('takes the fused kernel path', () => assert.equal(ops.aconCPath(), 'fused'));

    it('matches the float64 math for every rank, β layout and parameter sharing', () => checkLayoutGrid(GRID_SHAPES, 1e-5));

    it('gradients agree with central finite differences of the op itself', () => {
      const r = rng(11);
      for (const xs of GRID_SHAPES.slice(0, 3))
        for (const layout of LAYOUTS) {
          const C = xs[xs.length - 1],
            n = xs.reduce((a, b) => a * b, 1);
          const bShape = betaShape(xs, layout);
          const inputs = [
            randomArray(r, n),
            randomArray(r, C),
            randomArray(r, C),
            randomArray(
              r,
              bShape.reduce((a, b) => a * b, 1),
            ),
          ];
          const shapes = [xs, [C], [C], bShape];
          const g = tf.tensor(randomArray(r, n), xs);
          const loss = (vals: Float32Array[]) =>
            tf.tidy(
              () =>
                tf
                  .sum(tf.mul(ops.aconC(tf.tensor(vals[0], xs), tf.tensor(vals[1]), tf.tensor(vals[2]), tf.tensor(vals[3], bShape)), g))
                  .dataSync()[0],
            );
          const analytic = tf.tidy(() =>
            tf
              .grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(ops.aconC(a, b, c, d), g)))(
                inputs.map((v, i) => tf.tensor(v, shapes[i])),
              )
              .map((t) => t.dataSync()),
          );
          const h = 1e-2;
          for (let which = 0; which < 4; which++)
            for (let trial = 0; trial < 3; trial++) {
              const k = r.int(0, inputs[which].length - 1);
              const plus = inputs.map((v) => v.slice()),
                minus = inputs.map((v) => v.slice());
              plus[which][k] += h;
              minus[which][k] -= h;
              const fd = (loss(plus) - loss(minus)) / (2 * h);
              const a = analytic[which][k];
              assert.ok(
                Math.abs(fd - a) <= 2e-2 * (1 + Math.abs(a)),
                `x [${xs}] β [${bShape}] input ${which} element ${k}: analytic ${a} vs finite difference ${fd}`,
              );
            }
          g.dispose();
        }
    });

    it('β = 0 gives the mean of p1x and p2x, p1 = p2 gives p2x, large β gives max(p1x, p2x)', () => {
      const r = rng(12);
      const x = randomArray(r, 6 * 8, 4),
        p1 = randomArray(r, 8),
        p2 = randomArray(r, 8);
      const xt = tf.tensor(x, [6, 8]);
      const at = (beta: number, q1 = p1, q2 = p2) => ops.aconC(xt, q1, q2, [beta]).dataSync();
      const mean = at(0),
        same = at(-1.7, p2, p2),
        hard = at(1e4);
      for (let i = 0; i < x.length; i++) {
        const c = i % 8;
        // Exact up to float32 rounding of the two products (one ulp of the larger).
        const ulp = 2 ** -23 * Math.max(Math.abs(p1[c] * x[i]), Math.abs(p2[c] * x[i]));
        assert.ok(
          Math.abs(mean[i] - (p1[c] * x[i] + p2[c] * x[i]) / 2) <= ulp,
          `β = 0 at ${i}: ${mean[i]} vs ${(p1[c] * x[i] + p2[c] * x[i]) / 2}`,
        );
        assert.equal(same[i], Math.fround(p2[c] * x[i]), `p1 = p2 at ${i}`);
        assert.ok(Math.abs(hard[i] - Math.max(p1[c] * x[i], p2[c] * x[i])) < 1e-3, `β large at ${i}`);
      }
      xt.dispose();
    });

    it('ACON-A is x·σ(βx), ACON-B with p = 0 is ACON-A, ACON-B is ACON-C with p1 = 1', () => {
      const r = rng(13);
      const x = tf.tensor(randomArray(r, 4 * 5 * 3, 3), [4, 5, 3]),
        beta = tf.tensor(randomArray(r, 3, 2));
      const p = tf.tensor(randomArray(r, 3));
      const a = ops.aconA(x, beta).dataSync(),
        xv = x.dataSync(),
        bv = beta.dataSync();
      for (let i = 0; i < xv.length; i++) assert.ok(Math.abs(a[i] - xv[i] * sigmoid(bv[i % 3] * xv[i])) < 1e-6 * (1 + Math.abs(xv[i])));
      assertClose(ops.aconB(x, tf.zeros([3]), beta).dataSync(), a, 'ACON-B(p = 0) vs ACON-A', { rtol: 1e-6 });
      assertClose(ops.aconB(x, p, beta).dataSync(), ops.aconC(x, tf.ones([3]), p, beta).dataSync(), 'ACON-B vs ACON-C', { rtol: 1e-6 });
      tf.dispose([x, beta, p]);
    });

    it('its derivative stays within the paper bounds for p1 > p2 at several β', () => {
      const x = tf.reshape(tf.linspace(-40, 40, 8001), [8001, 1]);
      for (const beta of [0.25, 1, 4, 16]) {
        const [p1, p2] = [1.2, -0.8];
        const d = tf
          .grad((v: tf.Tensor) => tf.sum(ops.aconC(v, [p1], [p2], [beta])))(x)
          .dataSync();
        const { lower, upper } = aconCDerivativeBounds(p1, p2);
        assert.ok(
          Math.min(...d) >= lower - 1e-5 && Math.max(...d) <= upper + 1e-5,
          `β=${beta}: f' in [${Math.min(...d)}, ${Math.max(...d)}], bounds [${lower}, ${upper}]`,
        );
      }
      x.dispose();
    });

    it('has no NaN or Inf for |x| up to 3e38 with finite parameters, any β sign', () => {
      const xv = [3e38, -3e38, 1e30, -1e30, 1e-30, -1e-30, 0, 1e-45, 88, -88, 1000, -1000];
      const x = tf.tensor(
        xv.flatMap((v) => [v, v, v]),
        [xv.length, 3],
      );
      for (const beta of [-1e3, -1, 0, 1, 1e3, 3e38]) {
        const p1 = tf.tensor([1, 0.5, 1.1]),
          p2 = tf.tensor([0, -0.5, 1.1]);
        const [y, dx, dp1, dp2, db] = tf.tidy(() => {
          const fn = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => ops.aconC(a, b, c, d);
          const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(fn(a, b, c, d), 1e-30)))([
            x,
            p1,
            p2,
            tf.tensor([beta]),
          ]);
          return [fn(x, p1, p2, tf.tensor([beta])), ...grads].map((t) => t.dataSync());
        });
        for (const [name, v] of Object.entries({ y, dx, dp1, dp2 })) {
          assert.ok(v.every(Number.isFinite), `β=${beta}: ${name} has NaN/Inf: ${Array.from(v).slice(0, 12)}`);
        }
        assert.ok(!Number.isNaN(db[0]), `β=${beta}: dβ is NaN`);
        tf.dispose([p1, p2]);
      }
      x.dispose();
    });

    it('the generic (customGrad) path gives the same values and gradients as the fused kernel', () => {
      const r = rng(14);
      for (const [N, S, C, Nb, Sb, Cb] of [
        [3, 5, 7, 1, 1, 7],
        [2, 4, 3, 2, 1, 3],
        [2, 4, 3, 2, 4, 3],
        [4, 1, 5, 4, 1, 1],
        [2, 3, 4, 1, 1, 1],
      ]) {
        const ins = [
          tf.tensor(randomArray(r, N * S * C, 3), [N, S, C]),
          tf.tensor(randomArray(r, C)),
          tf.tensor(randomArray(r, C)),
          tf.tensor(randomArray(r, Nb * Sb * Cb), [Nb, Sb, Cb]),
        ];
        const g = tf.tensor(randomArray(r, N * S * C), [N, S, C]);
        const run = (f: (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.Tensor) =>
          tf.tidy(() =>
            [
              f(ins[0], ins[1], ins[2], ins[3]),
              ...tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(f(a, b, c, d), g)))(ins),
            ].map((t) => t.dataSync()),
          );
        const fused = run(ops.aconC),
          generic = run(aconCGeneric);
        fused.forEach((v, i) =>
          assertClose(generic[i], v, `[${N},${S},${C}] β [${Nb},${Sb},${Cb}] output ${i}`, { atolRel: 1e-5 * Math.sqrt(N * S) }),
        );
        tf.dispose([...ins, g]);
      }
    });

    it('without a registered kernel (as on tfjs-node or webgl) the op and layers take the generic path', () => {
      const saved = [ACON_C, ACON_C_GRAD].map((name) => tf.getKernel(name, tf.getBackend())!);
      const r = rng(15);
      const x = tf.tensor(randomArray(r, 2 * 3 * 4 * 5), [2, 3, 4, 5]),
        p1 = tf.tensor(randomArray(r, 5)),
        p2 = tf.tensor(randomArray(r, 5));
      const beta = tf.tensor(randomArray(r, 2 * 5), [2, 1, 1, 5]);
      const run = () =>
        tf.tidy(() =>
          [
            ops.aconC(x, p1, p2, beta),
            ...tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.square(ops.aconC(a, b, c, d))))([
              x,
              p1,
              p2,
              beta,
            ]),
          ].map((t) => t.dataSync()),
        );
      const fused = run();
      for (const k of saved) tf.unregisterKernel(k.kernelName, k.backendName);
      try {
        assert.equal(ops.aconCPath(), 'generic');
        const generic = run();
        fused.forEach((v, i) => assertClose(generic[i], v, `output ${i}`, { atolRel: 1e-5 }));
      } finally {
        for (const k of saved) tf.registerKernel(k);
      }
      assert.equal(ops.aconCPath(), 'fused');
      tf.dispose([x, p1, p2, beta]);
    });

    it('rejects bad input with an error that names it', () => {
      const x = tf.zeros([2, 4, 4, 8]);
      const c8 = tf.ones([8]);
      assert.throws(() => ops.aconC(tf.zeros([8]), c8, c8, c8), /aconC: x must have rank >= 2.*\[8\]/);
      assert.throws(() => ops.aconC(x, tf.ones([16]), c8, c8), /aconC: p1 has shape \[16\] but x has 8 channels \(x shape \[2,4,4,8\]\)/);
      assert.throws(() => ops.aconC(x, c8, tf.ones([3]), c8), /aconC: p2 has shape \[3\] but x has 8 channels/);
      assert.throws(
        () => ops.aconC(x, c8, c8, tf.ones([3, 1, 8])),
        /aconC: beta of shape \[3,1,8\] is not broadcastable to x of shape \[2,4,4,8\]/,
      );
      assert.throws(() => ops.aconC(x, c8, c8, tf.ones([1, 2, 1, 1, 8])), /aconC: beta has rank 5/);
      assert.throws(() => ops.aconC(tf.zeros([2, 8], 'int32'), c8, c8, c8), /aconC: x must be float32 but has dtype int32/);
      assert.throws(() => ops.aconA(x, tf.ones([8], 'int32')), /aconA: beta must be float32 but has dtype int32/);
      assert.throws(() => ops.aconB(x, tf.ones([5]), c8), /aconB: p has shape \[5\] but x has 8 channels/);
      tf.dispose([x, c8]);
    });
  });
}
