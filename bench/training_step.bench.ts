/**
 * The compare network (ShuffleNetV2 0.5x, stages 1,2,1, 28×28, batch 128) as `acon compare` builds
 * it, one training step (forward, loss, backward) per activation on one thread, the activations
 * taking turns in each round: the ratio of an ACON-C step and of a Meta-ACON step to a ReLU step
 * (#12: ≤ 1.15 and ≤ 1.3), the per-kernel profile of one step of each (`src/train/profile.ts`), its
 * peak tensor memory, and the bytes the tape keeps for the backward of one ACON-C layer at
 * [128,14,14,24], fused vs the composition of the official module's formula.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { registerTrainingKernels } from '../src/node/kernels/index.js';
import { ops } from '../src/index.js';
import { createModel } from '../src/models/factory.js';
import { bytesKeptForBackward, profileTrainingStep, type StepProfile } from '../src/train/profile.js';
import type { BenchRecord, BenchSuite } from './harness.js';

const ACTIVATIONS = ['relu', 'aconC', 'metaAconC'] as const;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

const suite: BenchSuite = {
  name: 'train.step',
  async run({ quick }) {
    const prev = tf.getBackend() as string | undefined;
    const records: BenchRecord[] = [];
    for (const backend of quick ? ['wasm'] : ['wasm', 'cpu']) {
      if (!(await tf.setBackend(backend))) throw new Error(`train.step: backend ${backend} unavailable`);
      await tf.ready();
      registerTrainingKernels();
      const models = ACTIVATIONS.map((a) => createModel({ model: 'shufflenet', activation: a, repeats: [1, 2, 1], seed: 1 }));
      const rounds = quick ? 1 : 3;
      const profiles: StepProfile[][] = models.map(() => []);
      for (let r = 0; r < rounds; r++)
        for (const [i, m] of models.entries())
          profiles[i].push(await profileTrainingStep(m, { batch: 128, steps: quick ? 2 : 3, labelSmoothing: 0.1 }));
      const reluMs = profiles[0].map((p) => p.stepMs);
      const reluCpu = profiles[0].map((p) => p.stepCpuMs ?? NaN);
      ACTIVATIONS.forEach((activation, i) => {
        const ms = profiles[i].map((p) => p.stepMs);
        const cpu = profiles[i].map((p) => p.stepCpuMs ?? NaN);
        const last = profiles[i][profiles[i].length - 1];
        records.push({
          suite: suite.name,
          case: `compare net step b128 ${activation}`,
          backend,
          impl: 'ours, 1 thread',
          ms: median(ms),
          imagesPerSec: Math.round(128 / (median(ms) / 1000)),
          extra: {
            overRelu: +median(ms.map((v, k) => v / reluMs[k])).toFixed(2),
            overReluRounds: ms.map((v, k) => +(v / reluMs[k]).toFixed(2)),
            cpuMs: +median(cpu).toFixed(1),
            overReluCpu: +median(cpu.map((v, k) => v / reluCpu[k])).toFixed(2),
            outsideKernelsShare: +Math.max(0, 1 - last.kernelMs / last.stepMs).toFixed(2),
            peakMiB: +(last.peakBytes / 2 ** 20).toFixed(1),
            topKernels: last.kernels.slice(0, 6).map((k) => `${k.kernel} ${(100 * k.share).toFixed(0)}%`),
          },
        });
      });
      models.forEach((m) => m.dispose());

      const shape = [128, 14, 14, 24];
      const x = tf.randomNormal(shape),
        p1 = tf.randomNormal([24]),
        p2 = tf.randomNormal([24]),
        beta = tf.ones([24]);
      const composition = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => {
        const diff = tf.sub(tf.mul(b, a), tf.mul(c, a));
        return tf.add(tf.mul(diff, tf.sigmoid(tf.mul(d, diff))), tf.mul(c, a));
      };
      const xBytes = x.size * 4;
      for (const [impl, f] of [
        ['fused', (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => ops.aconC(a, b, c, d)],
        ['composition (official formula)', composition],
      ] as const) {
        const kept = bytesKeptForBackward(f, [x, p1, p2, beta]);
        records.push({
          suite: suite.name,
          case: 'bytes kept for the backward, one ACON-C layer',
          backend,
          impl,
          shape,
          extra: { keptBytes: kept, overX: +(kept / xBytes).toFixed(2) },
        });
      }
      tf.dispose([x, p1, p2, beta]);
    }
    if (prev) await tf.setBackend(prev);
    return records;
  },
};

export default suite;
