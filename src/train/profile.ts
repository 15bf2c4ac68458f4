/**
 * Where a training step's time goes: one step (training-mode forward, loss, backward through
 * tf.variableGrads) of a model on the active backend under `tf.profile`, summed per kernel, with
 * the step's wall time measured apart (without the profiler's per-kernel timers) and the share of
 * it spent outside kernels (tfjs dispatch, tape, JS glue). Also the bytes a function's tape keeps
 * for its backward pass (`bytesKeptForBackward`), for the memory comparison of fused ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { singleReplicaReducer, withCrossReplicaReducer } from '../layers/cross_replica.js';

export interface KernelShare {
  kernel: string;
  calls: number;
  ms: number;
  /** Fraction of the profiled kernel time. */
  share: number;
}

export interface StepProfile {
  backend: string;
  /** Rows of the profiled step (a shard of the batch when `replicas` > 1). */
  batch: number;
  /** The step is one of this many synchronised replicas' (see `ProfileOptions.replicas`). */
  replicas: number;
  /** Median wall time of an unprofiled step. */
  stepMs: number;
  /** Median process CPU time of an unprofiled step (Node only; on one thread it is what machine load distorts least). */
  stepCpuMs?: number;
  /** Sum of the kernels' times in the profiled step. */
  kernelMs: number;
  /** Largest number of tensor bytes alive at once during the profiled step. */
  peakBytes: number;
  kernels: KernelShare[];
}

export interface ProfileOptions {
  batch?: number;
  labelSmoothing?: number;
  /** Unprofiled steps timed for `stepMs` (after 2 warm-up steps). */
  steps?: number;
  /**
   * Profile one of this many data-parallel replicas: a shard of ⌈batch / replicas⌉ rows, with
   * batch norm on its synchronised path (`TorchBatchNorm`'s closed form, as in a
   * `DataParallelTrainer` worker) through a reducer that does not wait for the other replicas.
   * Default 1: the whole batch on one thread.
   */
  replicas?: number;
}

/** The row under which `profileTrainingStep` lists the forward JavaScript of ops with a custom gradient. */
export const CUSTOM_GRADIENT_JS = '(JS of custom-gradient ops)';

type ProfiledKernels = Awaited<ReturnType<typeof tf.profile>>['kernels'];

/** The tfjs engine state that `tf.profile` records into (not public API). */
function engineState(): { kernelDepth: number; activeProfile: { kernels: ProfiledKernels } } {
  return (tf.engine() as unknown as { state: ReturnType<typeof engineState> }).state;
}

/**
 * Each profiled entry's own time: tfjs times an op with a custom gradient around the kernels it
 * runs, and lists those kernels too (before it, one level deeper), so their time is taken off
 * their parent's. `depths[i]` is the engine's kernel depth when entry i was recorded.
 */
export function selfTimes(kernels: ProfiledKernels, depths: number[]): { name: string; ms: number }[] {
  const nested: number[] = [];
  return kernels.map((k, i) => {
    const d = depths[i] ?? 0,
      ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const inner = nested[d + 1] ?? 0;
    nested[d + 1] = 0;
    nested[d] = (nested[d] ?? 0) + ms;
    return { name: k.name, ms: Math.max(0, ms - inner) };
  });
}

/** One training step's loss and gradients, disposed; returns nothing so that nothing leaks. */
function trainingStep(model: LayersModel, xs: tf.Tensor, ys: tf.Tensor2D, labelSmoothing: number, synchronised: boolean): void {
  const { value, grads } = withCrossReplicaReducer(synchronised ? singleReplicaReducer : undefined, () =>
    tf.variableGrads(() => {
      const logits = model.apply(xs, { training: true }) as tf.Tensor;
      const loss = tf.losses.softmaxCrossEntropy(ys, logits, undefined, labelSmoothing) as tf.Scalar;
      return model.calculateLosses().reduce((l: tf.Scalar, r) => tf.add(l, r), loss);
    }),
  );
  value.dataSync();
  tf.dispose([value, grads]);
}

/** Profiles one training step of `model` (one input `[batch, ...]`, logits `[batch, classes]`) on random data. */
export async function profileTrainingStep(model: LayersModel, options: ProfileOptions = {}): Promise<StepProfile> {
  const replicas = options.replicas ?? 1;
  if (!(Number.isInteger(replicas) && replicas >= 1))
    throw new Error(`profileTrainingStep: replicas must be a positive integer, got ${replicas}`);
  const batch = Math.ceil((options.batch ?? 128) / replicas);
  const inShape = model.inputs[0].shape.slice(1) as number[];
  const classes = model.outputs[0].shape[1] as number;
  const xs = tf.randomNormal([batch, ...inShape], 0, 1, 'float32', 1);
  const ys = tf.tidy(() => tf.cast(tf.oneHot(tf.randomUniform([batch], 0, classes, 'int32', 2), classes), 'float32')) as tf.Tensor2D;
  const eps = options.labelSmoothing ?? 0;
  try {
    for (let i = 0; i < 2; i++) trainingStep(model, xs, ys, eps, replicas > 1);
    const times: number[] = [],
      cpu: number[] = [];
    const cpuUsage = typeof process === 'object' && typeof process.cpuUsage === 'function' ? () => process.cpuUsage() : undefined;
    for (let i = 0; i < (options.steps ?? 3); i++) {
      const t0 = performance.now(),
        c0 = cpuUsage?.();
      trainingStep(model, xs, ys, eps, replicas > 1);
      times.push(performance.now() - t0);
      if (c0) {
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
      }
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    const depths: number[] = [];
    const info = await tf.profile(() => {
      const kernels = engineState().activeProfile.kernels;
      kernels.push = (...entries) => {
        for (let i = 0; i < entries.length; i++) depths.push(engineState().kernelDepth);
        return Array.prototype.push.apply(kernels, entries);
      };
      trainingStep(model, xs, ys, eps, replicas > 1);
    });
    const byName = new Map<string, { calls: number; ms: number }>();
    for (const { name, ms } of selfTimes(info.kernels, depths)) {
      // An entry that is no kernel is an op with a custom gradient (ACON's fused ops, fusedConv2d__op):
      // its own time is the JavaScript of its forward (Meta-ACON's generator, say).
      const label = tf.getKernel(name, tf.getBackend()) ? name : CUSTOM_GRADIENT_JS;
      const entry = byName.get(label) ?? { calls: 0, ms: 0 };
      entry.calls++;
      entry.ms += ms;
      byName.set(label, entry);
    }
    const kernelMs = [...byName.values()].reduce((a, e) => a + e.ms, 0);
    const kernels = [...byName.entries()]
      .map(([kernel, e]) => ({ kernel, calls: e.calls, ms: e.ms, share: kernelMs > 0 ? e.ms / kernelMs : 0 }))
      .sort((a, b) => b.ms - a.ms);
    return {
      backend: tf.getBackend(),
      batch,
      replicas,
      stepMs: times[Math.floor(times.length / 2)],
      ...(cpu.length ? { stepCpuMs: cpu[Math.floor(cpu.length / 2)] } : {}),
      kernelMs,
      peakBytes: info.peakBytes,
      kernels,
    };
  } finally {
    tf.dispose([xs, ys]);
  }
}

/** A table of the profile: the `top` kernels by time, the rest summed, and the time outside kernels. */
export function formatStepProfile(p: StepProfile, title: string, top = 12): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const rows = p.kernels.slice(0, top).map((k) => [k.kernel, String(k.calls), k.ms.toFixed(1), pct(k.share)]);
  const rest = p.kernels.slice(top);
  if (rest.length)
    rows.push([
      `(${rest.length} others)`,
      String(rest.reduce((a, k) => a + k.calls, 0)),
      rest.reduce((a, k) => a + k.ms, 0).toFixed(1),
      pct(rest.reduce((a, k) => a + k.share, 0)),
    ]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), ['kernel', 'calls', 'ms', 'share'][i].length));
  const line = (r: string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  const outside = Math.max(0, p.stepMs - p.kernelMs);
  return [
    `${title}: one training step on ${p.backend}, batch ${p.batch}${p.replicas > 1 ? ` (one of ${p.replicas} synchronised replicas)` : ''}: ${p.stepMs.toFixed(1)} ms` +
      (p.stepCpuMs !== undefined ? ` (CPU ${p.stepCpuMs.toFixed(1)} ms) ` : ' ') +
      `(kernels ${p.kernelMs.toFixed(1)} ms under the profiler; outside kernels ≈ ${outside.toFixed(1)} ms, ${pct(outside / p.stepMs)}); ` +
      `peak tensor memory ${(p.peakBytes / 2 ** 20).toFixed(1)} MiB`,
    line(['kernel', 'calls', 'ms', 'share']),
    ...rows.map(line),
  ].join('\n');
}

/**
 * Bytes of the distinct buffers that `fn`'s tape saves for the backward pass (its inputs included
 * when saved), read off the tape nodes recorded by one forward pass under `tf.grads`. A saved
 * tensor that shares its buffer with another (a zero-copy clone or reshape) is counted once.
 */
export function bytesKeptForBackward(fn: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): number {
  let kept = 0;
  const grads = tf.grads((...xs: tf.Tensor[]) => {
    const state = (tf.engine() as unknown as { state: { activeTape?: { saved?: tf.Tensor[] }[] } }).state;
    const start = state.activeTape?.length ?? 0;
    const y = fn(...xs);
    const buffers = new Map<object, number>();
    for (const node of (state.activeTape ?? []).slice(start))
      for (const t of node.saved ?? []) buffers.set(t.dataId, t.size * (t.dtype === 'float32' || t.dtype === 'int32' ? 4 : 1));
    kept = [...buffers.values()].reduce((a, b) => a + b, 0);
    return y;
  })(inputs);
  tf.dispose(grads);
  return kept;
}
