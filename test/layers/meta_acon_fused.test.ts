/**
 * The fused channel-wise Meta-ACON-C op (`meta_acon_fused.ts`) against the composition it replaces
 * (`generateBeta` + `ops.aconC`, tfjs ops differentiated by the tape), on cpu and wasm: y, the
 * gradients of x and of every weight, and the running statistics after the call, for both
 * normalizations and gates, training and inference, ranks 2 to 4. Also: it runs as one op (a
 * handful of kernels), and it leaves no tensors behind.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { MetaAconC, ops } from '../../src/index.js';
import { KERNEL_BACKENDS, useBackend } from '../helpers/backends.js';

type Shape = [number, ...number[]];

interface Run {
  y: Float32Array;
  grads: Float32Array[];
  stats: Float32Array[];
}

function runWith(layer: MetaAconC, x: tf.Tensor, dy: tf.Tensor, training: boolean, fused: boolean): Run {
  const xv = tf.variable(x);
  const vars = [xv, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
  const f = fused
    ? () => layer.apply(xv, { training }) as tf.Tensor
    : () => ops.aconC(xv, vars[1], vars[2], layer.generateBeta(xv, training), { gate: layer.gate });
  const { value, grads } = tf.engine().gradients(f, vars, dy);
  const out = {
    y: value.dataSync() as Float32Array,
    grads: grads.map((g) => g.dataSync() as Float32Array),
    stats: layer.getWeights(false).map((t) => t.dataSync() as Float32Array),
  };
  tf.dispose([xv, value, ...grads]);
  return out;
}

const maxAbs = (v: Float32Array) => v.reduce((m, e) => Math.max(m, Math.abs(e)), 0);

/**
 * |a − b| ≤ rtol·(|b| + scale) elementwise, scale = max|b| by default: relative to the largest
 * entry, as for sums of many terms.
 */
function assertNear(a: Float32Array, b: Float32Array, rtol: number, what: string, scale = maxAbs(b)): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < b.length; i++)
    assert.ok(Math.abs(a[i] - b[i]) <= rtol * (Math.abs(b[i]) + scale), `${what}[${i}]: fused ${a[i]}, composition ${b[i]}`);
}

for (const backend of KERNEL_BACKENDS)
  describe(`the fused MetaAconC op on ${backend}`, () => {
    before(() => useBackend(backend));

    it('equals the composition: y, every gradient and the running statistics', () => {
      let seed = 1;
      const shapes: Shape[] = [
        [6, 5, 4, 12],
        [4, 7, 8],
        [5, 16],
      ];
      for (const shape of shapes)
        for (const normalization of ['batch', 'none'] as const)
          for (const gate of ['sigmoid', 'hardSigmoid'] as const)
            for (const training of [true, false]) {
              const what = `x [${shape}] ${normalization} ${gate} training ${training}`;
              const layer = new MetaAconC({ r: 4, normalization, gate, name: `fused_${seed}` });
              const x = tf.randomNormal(shape, 0, 2, 'float32', seed++),
                dy = tf.randomNormal(shape, 0, 1, 'float32', seed++);
              layer.build(shape);
              // Random weights and running statistics (positive variances), so that every term matters.
              const initial = layer
                .getWeights()
                .map((w, i) =>
                  i >= layer.trainableWeights.length && w.shape[0] && i % 2 === 1
                    ? tf.randomUniform(w.shape, 0.5, 2, 'float32', seed++)
                    : tf.randomNormal(w.shape, 0, 1, 'float32', seed++),
                );
              layer.setWeights(initial);
              const fused = runWith(layer, x, dy, training, true);
              layer.setWeights(initial);
              const composed = runWith(layer, x, dy, training, false);
              assertNear(fused.y, composed.y, 1e-5, `${what}: y`);
              // Gradients through a training-mode BN are differences of much larger terms (fc1's bias
              // has gradient 0 exactly), so their error scales with the largest gradient of the case.
              const gradScale = Math.max(...composed.grads.map(maxAbs));
              fused.grads.forEach((g, i) => assertNear(g, composed.grads[i], 1e-4, `${what}: gradient ${i}`, gradScale));
              fused.stats.forEach((s, i) => assertNear(s, composed.stats[i], 1e-5, `${what}: weight ${i} after the call`));
              tf.dispose([x, dy, ...initial]);
              for (const w of layer.weights) w.dispose();
            }
    });

    it('runs as one op of a few kernels, and leaks no tensor', async () => {
      const layer = new MetaAconC({ r: 4 });
      const x = tf.randomNormal([8, 6, 6, 16]),
        dy = tf.randomNormal([8, 6, 6, 16]);
      tf.dispose(layer.apply(x) as tf.Tensor);
      const xv = tf.variable(x);
      const vars = [xv, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
      const before = tf.memory().numTensors;
      const profile = await tf.profile(() => {
        const { value, grads } = tf.engine().gradients(() => layer.apply(xv, { training: true }) as tf.Tensor, vars, dy);
        tf.dispose([value, ...grads]);
      });
      assert.equal(tf.memory().numTensors, before, 'tensors left behind');
      const names = profile.kernels.map((k) => k.name);
      assert.ok(names.includes('AconC') && names.includes('AconCGrad'), `fused kernels ran: ${names}`);
      assert.ok(names.length < 40, `${names.length} kernels (the composition runs ~300): ${names}`);
      tf.dispose([x, dy, xv]);
      layer.dispose();
    });
  });
