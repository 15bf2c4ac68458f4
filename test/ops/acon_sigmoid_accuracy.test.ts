/**
 * Accuracy of the kernels' own exp/sigmoid over the float32 range of the argument: σ(z) is read off
 * ACON-C at x = 1, p1 = 1, p2 = 0 (y = σ(z) with z = β exactly) and compared with float64 σ.
 * Relative error ≤ 2e-7 wherever σ(z) is a normal float32, within one subnormal ulp (2^−149) where it
 * is subnormal. The sample: every 101st bit pattern where σ is neither 1/2 to float32 precision nor
 * saturated (2^−10 ≤ |z|, −104 ≤ z ≤ 17), every 7th in the binade [−8, −4) and in the range of
 * subnormal results (fewer on cpu, whose σ is float64 Math.exp), sparser elsewhere, and the special
 * values. (A sweep of every pattern of the first range gave a maximum of 1.77e-7 at z = −10.39 on wasm.)
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { ops } from '../../src/index.js';
import { sigmoid } from '../../src/math/acon.js';
import { KERNEL_BACKENDS, useBackend } from '../helpers/backends.js';

const FLT_MIN = 1.1754943508222875e-38;
const SUBNORMAL_ULP = 2 ** -149;

function bitsOf(v: number): number {
  return new Uint32Array(Float32Array.of(v).buffer)[0];
}

/** Float32 values whose bit patterns run from `from` towards `to` (same sign) with the given stride. */
function patterns(from: number, to: number, stride: number): Float32Array {
  const [a, b] = [bitsOf(from), bitsOf(to)];
  const n = Math.floor((b - a) / stride);
  const bits = new Uint32Array(n);
  for (let i = 0; i < n; i++) bits[i] = a + i * stride;
  return new Float32Array(bits.buffer);
}

/** Worst relative error (normal results) and worst error in subnormal ulps, with where they occur. */
function worstError(z: Float32Array): { rel: number; relAt: number; sub: number; subAt: number } {
  const worst = { rel: 0, relAt: NaN, sub: 0, subAt: NaN };
  const chunk = 1 << 20;
  for (let start = 0; start < z.length; start += chunk) {
    const part = z.subarray(start, Math.min(z.length, start + chunk));
    const y = tf.tidy(() => ops.aconC(tf.ones([part.length, 1]), [1], [0], tf.tensor2d(part, [part.length, 1])).dataSync());
    for (let i = 0; i < part.length; i++) {
      const ref = sigmoid(part[i]);
      if (ref < FLT_MIN) {
        const e = Math.abs(y[i] - ref) / SUBNORMAL_ULP;
        if (e > worst.sub) Object.assign(worst, { sub: e, subAt: part[i] });
      } else {
        const e = Math.abs(y[i] - ref) / ref;
        if (!(e <= worst.rel)) Object.assign(worst, { rel: e, relAt: part[i] });
      }
    }
  }
  return worst;
}

for (const backend of KERNEL_BACKENDS)
  describe(`the sigmoid of the fused kernel on ${backend}`, () => {
    before(() => useBackend(backend));

    it('has relative error ≤ 2e-7 against float64 over the float32 range (one subnormal ulp below FLT_MIN)', () => {
      const stride = backend !== 'cpu' ? 101 : 997;
      const samples = [
        patterns(2 ** -10, 17, stride),
        patterns(-(2 ** -10), -104, stride),
        patterns(-4, -8, backend !== 'cpu' ? 7 : 97),
        patterns(-87.3, -104, backend !== 'cpu' ? 7 : 97),
        patterns(2 ** -149, 2 ** -10, 4099),
        patterns(-(2 ** -149), -(2 ** -10), 4099),
        patterns(17, 3.4e38, 4099),
        patterns(-104, -3.4e38, 4099),
        Float32Array.of(
          0,
          -0,
          2 ** -149,
          -(2 ** -149),
          FLT_MIN,
          -FLT_MIN,
          3.4028234663852886e38,
          -3.4028234663852886e38,
          Infinity,
          -Infinity,
        ),
      ];
      for (const z of samples) {
        const w = worstError(z);
        assert.ok(w.rel <= 2e-7, `relative error ${w.rel} at z = ${w.relAt} (${z.length} values from ${z[0]})`);
        assert.ok(w.sub <= 1, `error of ${w.sub} subnormal ulps at z = ${w.subAt} (${z.length} values from ${z[0]})`);
      }
    });
  });
