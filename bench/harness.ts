/** Shared benchmark plumbing: timing, result records, and the machine-readable output. */
import * as tf from '@tensorflow/tfjs-core';

export interface BenchRecord {
  /** Suite name, e.g. `ops.aconC`. */
  suite: string;
  /** What was measured, e.g. `forward` or `forward+backward`. */
  case: string;
  backend: string;
  /** Which implementation: e.g. `fused` or `composition`. */
  impl: string;
  shape?: number[];
  /** Median milliseconds per iteration. */
  ms?: number;
  /** Throughput where it is the natural unit (training). */
  imagesPerSec?: number;
  extra?: Record<string, unknown>;
}

export interface BenchSuite {
  name: string;
  run(opts: { quick: boolean }): Promise<BenchRecord[]>;
}

/** Median wall time of `fn` in ms after warm-up; `fn` must return what it computes so reads finish. */
export async function timeMedian(fn: () => tf.Tensor | tf.Tensor[], opts: { warmup?: number; iters?: number } = {}): Promise<number> {
  const warmup = opts.warmup ?? 3,
    iters = opts.iters ?? 15;
  const times: number[] = [];
  for (let i = 0; i < warmup + iters; i++) {
    const t0 = performance.now();
    const out = fn();
    const outs = Array.isArray(out) ? out : [out];
    for (const o of outs) await o.data();
    const dt = performance.now() - t0;
    tf.dispose(outs);
    if (i >= warmup) times.push(dt);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
