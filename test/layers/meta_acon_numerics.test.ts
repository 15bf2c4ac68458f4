/**
 * Meta-ACON's generator on extreme input and at batch 1: finite x up to ~3e38 gives a finite
 * output in training and inference (the pooled mean, the 1×1 layers and the batch-norm variance
 * would overflow to Inf − Inf without the scaled arithmetic), and a failing batch-1 call leaves no
 * tensors behind, also inside tf.variableGrads.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { MetaAconC } from '../../src/index.js';
import { KERNEL_BACKENDS, useBackend } from '../helpers/backends.js';

for (const backend of KERNEL_BACKENDS)
  describe(`MetaAconC numerics on ${backend}`, () => {
    before(() => useBackend(backend));

    it('finite x ≈ 1e38 gives finite y, in training and then in inference, for every granularity', () => {
      for (const granularity of ['channel', 'layer', 'pixel'] as const)
        for (const normalization of ['batch', 'none'] as const) {
          const layer = new MetaAconC({ granularity, normalization, r: 2, preset: 'swish' });
          const x = tf.tidy(() => tf.mul(tf.randomUniform([4, 5, 5, 8], -1, 1, 'float32', 7), 3e38));
          for (const training of [true, false]) {
            const y = tf.tidy(() => layer.apply(x, { training }) as tf.Tensor);
            const bad = Array.from(y.dataSync()).filter((v) => !Number.isFinite(v)).length;
            assert.equal(bad, 0, `${granularity}/${normalization}, training ${training}: ${bad} of ${y.size} outputs are not finite`);
            // With p1 = 1, p2 = 0 the output lies between min(0, x) and max(0, x).
            const [xv, yv] = [x.dataSync(), y.dataSync()];
            for (let i = 0; i < xv.length; i++)
              assert.ok(yv[i] >= Math.min(0, xv[i]) && yv[i] <= Math.max(0, xv[i]), `${granularity}: y[${i}] = ${yv[i]} for x = ${xv[i]}`);
            y.dispose();
          }
          x.dispose();
          layer.dispose();
        }
    });

    it('a batch-1 training call inside tf.variableGrads fails before its first op and leaks nothing', () => {
      const layer = new MetaAconC({ name: 'meta_batch1' });
      const x = tf.randomNormal([1, 4, 4, 16]);
      tf.dispose(layer.apply(x) as tf.Tensor); // builds the weights
      const before = tf.memory().numTensors;
      assert.throws(
        () => tf.variableGrads(() => tf.sum(layer.apply(x, { training: true }) as tf.Tensor)),
        /MetaAconC 'meta_batch1': batch normalization in training needs more than 1 value per channel, got input of shape \[1,16\]/,
      );
      assert.equal(tf.memory().numTensors, before, 'tensors left behind by the failed call');
      x.dispose();
      layer.dispose();
    });
  });
