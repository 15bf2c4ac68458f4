/**
 * Data-parallel training throughput: images/s of SGD steps (batch 128, 28×28×1, 10 classes) with
 * 1 replica (calling thread) and 2 worker threads, per backend and model, and the 2-vs-1 ratio
 * (target ≥ 1.7 on 2 cores). A configuration that cannot train (wasm convolutions without the
 * training kernels) is recorded with `extra.skipped` and the reason.
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initNodeBackend, type NodeBackendName } from '../src/node/backend.js';
import { DataParallelTrainer } from '../src/node/parallel/index.js';
import type { BenchRecord, BenchSuite } from './harness.js';

const MODELS = new URL('./parallel_models.ts', import.meta.url);
const BATCH = 128, SHAPE = [BATCH, 28, 28, 1], TARGET = 1.7;
const quiet = () => {};
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/**
 * Ms per training step with 1 and 2 replicas, and the median of the paired ratios: steps of the
 * two trainers alternate, so that load from other processes hits both alike. Throws if the model
 * cannot train on this backend.
 */
async function measure(backend: NodeBackendName, exportName: string, iters: { warmup: number; timed: number }): Promise<{ ms: [number, number]; ratio: number }> {
  const trainers: DataParallelTrainer[] = [];
  const x = tf.randomUniform(SHAPE), y = tf.randomUniform([BATCH], 0, 10, 'int32');
  try {
    for (const workers of [1, 2]) {
      trainers.push(await DataParallelTrainer.create({
        model: { module: MODELS, exportName }, optimizer: { type: 'sgd', learningRate: 0.01, momentum: 0.9 }, workers, backend, log: quiet,
      }));
    }
    const times: [number[], number[]] = [[], []];
    for (let i = 0; i < iters.warmup + iters.timed; i++) {
      for (const [k, trainer] of trainers.entries()) {
        const t0 = performance.now();
        await trainer.step(x, y);
        if (i >= iters.warmup) times[k].push(performance.now() - t0);
      }
    }
    return { ms: [median(times[0]), median(times[1])], ratio: median(times[0].map((t, i) => t / times[1][i])) };
  } finally {
    tf.dispose([x, y]);
    await Promise.all(trainers.map((t) => t.dispose()));
  }
}

const suite: BenchSuite = {
  name: 'node.parallel',
  async run({ quick }) {
    const records: BenchRecord[] = [];
    for (const backend of ['wasm', 'cpu'] as const) {
      await initNodeBackend({ backend, log: quiet });
      for (const [exportName, label] of [['denseNet', 'dense 784-256-128-10'], ['plainNet', 'plain conv net']]) {
        // Fresh workers need a few steps before V8 has optimised their wasm and JS.
        const iters = quick ? { warmup: 2, timed: 4 } : { warmup: 4, timed: 12 };
        const base = { suite: 'node.parallel', case: `train ${label} b${BATCH}`, backend, shape: SHAPE };
        try {
          const { ms, ratio } = await measure(backend, exportName, iters);
          ms.forEach((m, k) => records.push({ ...base, impl: `workers=${k + 1}`, ms: m, imagesPerSec: (1000 * BATCH) / m }));
          // load1: the 1-minute load average; above ~0.5 other processes compete for the 2 cores.
          records.push({ ...base, impl: '2-vs-1', extra: { ratio: Number(ratio.toFixed(3)), target: TARGET, met: ratio >= TARGET, load1: Number(loadavg()[0].toFixed(2)) } });
        } catch (e) {
          records.push({ ...base, impl: 'workers=1,2', extra: { skipped: (e as Error).message } });
        }
      }
    }
    return records;
  },
};

export default suite;
