/**
 * The training-step profiler (`src/train/profile.ts`) and `--profile`'s printer: per-kernel shares
 * of a real step (the fused ACON kernels appear, shares sum to 1), the table, and the bytes a tape
 * keeps for the backward (the fused op keeps x, not the composition's intermediates).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { layers, ops } from '../../src/index.js';
import { printStepProfiles } from '../../src/node/profile.js';
import { bytesKeptForBackward, CUSTOM_GRADIENT_JS, formatStepProfile, profileTrainingStep, selfTimes } from '../../src/train/profile.js';
import { useBackend } from '../helpers/backends.js';

describe('training-step profile', () => {
  before(() => useBackend('cpu'));

  it('lists the kernels of one step with shares that sum to 1, the fused ACON kernels among them', async () => {
    const model = tfl.sequential({
      layers: [tfl.layers.dense({ inputShape: [6], units: 8 }), layers.aconC(), tfl.layers.dense({ units: 3 })],
    });
    const p = await profileTrainingStep(model, { batch: 16, steps: 1 });
    const names = p.kernels.map((k) => k.kernel);
    assert.ok(names.includes('AconC') && names.includes('AconCGrad'), `kernels: ${names}`);
    assert.ok(Math.abs(p.kernels.reduce((a, k) => a + k.share, 0) - 1) < 1e-9);
    assert.ok(p.stepMs > 0 && p.peakBytes > 0 && p.batch === 16 && p.backend === 'cpu');
    const table = formatStepProfile(p, 'tiny', 3);
    assert.match(table, /^tiny: one training step on cpu, batch 16: [\d.]+ ms .*peak tensor memory/);
    assert.match(table, /\n\(\d+ others\)/);
    model.dispose();
  });

  it("takes nested kernels' time off the op with a custom gradient that ran them", () => {
    // A (8 ms) and B (2 ms) ran inside S (15 ms), which ran inside T (20 ms); then a top-level C.
    const entry = (name: string, kernelTimeMs: number) =>
      ({ name, kernelTimeMs }) as Awaited<ReturnType<typeof tf.profile>>['kernels'][number];
    const got = selfTimes([entry('A', 8), entry('B', 2), entry('S', 15), entry('T', 20), entry('C', 1)], [2, 2, 1, 0, 0]);
    assert.deepEqual(got, [
      { name: 'A', ms: 8 },
      { name: 'B', ms: 2 },
      { name: 'S', ms: 5 },
      { name: 'T', ms: 5 },
      { name: 'C', ms: 1 },
    ]);
  });

  it("counts a fused Meta-ACON step's kernels once and lists its generator's JavaScript apart", async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [4, 4, 6], units: 8 }),
        layers.metaAconC({ r: 4 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 3 }),
      ],
    });
    const p = await profileTrainingStep(model, { batch: 16, steps: 1 });
    const names = p.kernels.map((k) => k.kernel);
    assert.ok(names.includes('AconC') && names.includes(CUSTOM_GRADIENT_JS), `kernels: ${names}`);
    assert.ok(!names.includes('unnamed scope'), `kernels: ${names}`);
    model.dispose();
  });

  it('prints one profile per activation of a run configuration (what --profile prints)', async () => {
    const lines: string[] = [];
    await printStepProfiles(
      {
        activations: ['relu', 'aconC'],
        model: 'shufflenet',
        repeats: [1, 1, 1],
        widthMultiplier: 0.5,
        batchSize: 8,
        labelSmoothing: 0.1,
        backend: 'cpu',
      },
      (m) => lines.push(m),
    );
    assert.equal(lines.length, 2);
    const shard: string[] = [];
    await printStepProfiles(
      { activations: ['relu'], model: 'shufflenet', repeats: [1, 1, 1], batchSize: 8, labelSmoothing: 0.1, backend: 'cpu', workers: 2 },
      (m) => shard.push(m),
    );
    assert.match(shard[0], /^relu \(shufflenet\): one training step on cpu, batch 4 \(one of 2 synchronised replicas\)/);
    assert.match(lines[0], /^relu \(shufflenet\): one training step on cpu, batch 8/);
    assert.match(lines[1], /^aconC \(shufflenet\): .*\n[\s\S]*AconCGrad/);
  });

  it('the fused op keeps x (and its output) for the backward; the composition keeps several x-sized buffers', () => {
    const x = tf.randomNormal([8, 5, 5, 16]),
      p1 = tf.randomNormal([16]),
      p2 = tf.randomNormal([16]),
      beta = tf.ones([16]);
    const xBytes = x.size * 4;
    const fused = bytesKeptForBackward((a, b, c, d) => ops.aconC(a, b, c, d), [x, p1, p2, beta]);
    const composition = bytesKeptForBackward(
      (a, b, c, d) => {
        const diff = tf.sub(tf.mul(b, a), tf.mul(c, a));
        return tf.add(tf.mul(diff, tf.sigmoid(tf.mul(d, diff))), tf.mul(c, a));
      },
      [x, p1, p2, beta],
    );
    assert.ok(fused >= xBytes && fused <= 2 * xBytes + 4 * 48, `fused keeps ${fused} bytes, x is ${xBytes}`);
    assert.ok(composition >= 4 * xBytes, `composition keeps ${composition} bytes, x is ${xBytes}`);
    tf.dispose([x, p1, p2, beta]);
  });
});
