/**
 * Channel-wise Meta-ACON-C (`meta_acon.ts`, the official design) as one differentiable op, for the
 * synchronous backends with fused ACON-C kernels (cpu, wasm), on one replica or as one of several
 * synchronised replicas (the generator's batch norms then take their statistics over every shard,
 * as `TorchBatchNorm`'s synchronised path does):
 *
 * - forward: the spatial mean (one Mean kernel), the generator
 *   β = σ(BN2(W2·BN1(W1·pooled + b1) + b2)) in float64 on the small [N,C] and [N,h] arrays (with the
 *   running statistics updated as PyTorch does; the products W·h on `matmul64`'s SIMD module), and
 *   the AconC kernel;
 * - backward: the AconCGrad kernel, the generator's gradients by hand in float64, and the mean's
 *   gradient dpooled/S added to dx by one broadcasting Add.
 *
 * A training step of the layer then runs about 20 kernels instead of ~300 small tfjs ops (whose
 * dispatch dominated it), and makes no x-sized tensor besides y, dx and the kernels' own. The
 * generator keeps the composition's semantics (`generateBeta`): PyTorch's BatchNorm (biased batch
 * variance to normalise, unbiased in the running variance), in float64 instead of float32 (so no
 * intermediate overflows for finite x); results are rounded to float32 once.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ACON_C, ACON_C_GRAD, type AconGate } from '../ops/acon/kernel_names.js';
import { sigmoid } from '../math/acon.js';
import { matmul64 } from './matmul64.js';
import { crossReplicaReducer, singleReplicaReducer, type CrossReplicaReducer } from './cross_replica.js';
import { checkBatchNormCount, type TorchBatchNormWeights } from './torch_batch_norm.js';

export interface FusedMetaAconWeights {
  p1: tfl.LayerVariable;
  p2: tfl.LayerVariable;
  /** fc1 (kernel [C,h], bias [h]) and fc2 (kernel [h,C], bias [C]). */
  affine: { kernel: tfl.LayerVariable; bias: tfl.LayerVariable }[];
  /** bn1 [h] and bn2 [C], or none (`normalization: 'none'`). */
  norms: TorchBatchNormWeights[];
}

export interface FusedMetaAconOptions {
  training: boolean;
  eps: number;
  momentum: number;
  gate: AconGate;
  /** Names the layer in errors (as `TorchBatchNormOptions`). */
  where: string;
  remedy?: string;
}

/** Whether the fused op can run here: cpu or wasm with the fused ACON-C kernels. */
export function fusedMetaAconAvailable(): boolean {
  const backend = tf.getBackend();
  return (
    (backend === 'cpu' || backend === 'wasm') &&
    tf.getKernel(ACON_C, backend) !== undefined &&
    tf.getKernel(ACON_C_GRAD, backend) !== undefined
  );
}

/**
 * Batch norm of one [N,F] activation: ĥ (the normalised value) and 1/√(var + eps) per feature, kept
 * for the backward; `count` is the number of rows the statistics were taken over (all replicas').
 */
interface NormState {
  hat: Float64Array;
  inv: Float64Array;
  gamma: Float32Array;
  training: boolean;
  count: number;
}

/** [R,K] row-major → [K,R] row-major, in float64. */
function transpose(a: ArrayLike<number>, R: number, K: number): Float64Array {
  const t = new Float64Array(R * K);
  for (let r = 0; r < R; r++) for (let k = 0; k < K; k++) t[k * R + r] = a[r * K + k];
  return t;
}

/** out = inp·kernel + bias for inp [N,I] and kernel [I,O]. */
function affine(inp: Float64Array, N: number, I: number, kernel: Float32Array, bias: Float32Array, O: number): Float64Array {
  return matmul64(inp, kernel, N, I, O, bias);
}

/** (dkernel, dbias, dinput) of out = inp·kernel + bias: inpᵀ·dout, Σ_n dout and dout·kernelᵀ. */
function affineBackward(inp: Float64Array, N: number, I: number, kernel: Float32Array, O: number, dout: Float64Array) {
  const dk = matmul64(transpose(inp, N, I), dout, I, N, O);
  const db = new Float64Array(O);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) db[o] += dout[n * O + o];
  const din = matmul64(dout, transpose(kernel, I, O), N, O, I);
  return { dk: Float32Array.from(dk), db: Float32Array.from(db), din };
}

/** Batch statistics of h [N,F] over every replica's rows, and the sum of every replica's `flag`. */
interface BatchStatistics {
  mean: Float64Array;
  variance: Float64Array;
  count: number;
  flag: number;
}

/**
 * Σ h, Σ h², the row count and `flag` summed over the replicas in one all-reduce (one
 * synchronisation per norm); mean = Σh/count, biased variance = Σh²/count − mean² (float64).
 */
function batchStatistics(h: Float64Array, N: number, F: number, reducer: CrossReplicaReducer, flag = 0): BatchStatistics {
  const local = new Float64Array(2 * F + 2);
  for (let n = 0, i = 0; n < N; n++)
    for (let f = 0; f < F; f++, i++) {
      const v = h[i];
      local[f] += v;
      local[F + f] += v * v;
    }
  local[2 * F] = N;
  local[2 * F + 1] = flag;
  const global = reducer.allReduce(local);
  const count = global[2 * F];
  const mean = new Float64Array(F),
    variance = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    mean[f] = global[f] / count;
    variance[f] = Math.max(0, global[F + f] / count - mean[f] * mean[f]);
  }
  return { mean, variance, count, flag: global[2 * F + 1] };
}

/**
 * PyTorch's BatchNorm on h [N,F] in place (h becomes γ·ĥ + β); in training with the batch
 * statistics `stats` (every replica's rows), whose running statistics it updates.
 */
function batchNorm(
  h: Float64Array,
  N: number,
  F: number,
  w: TorchBatchNormWeights,
  opts: FusedMetaAconOptions,
  stats?: BatchStatistics,
): NormState {
  const gamma = w.gamma.read().dataSync() as Float32Array,
    beta = w.beta.read().dataSync() as Float32Array;
  const hat = new Float64Array(N * F),
    inv = new Float64Array(F);
  let mean: Float64Array, variance: Float64Array;
  let count = N;
  if (stats) {
    ({ mean, variance, count } = stats);
    checkBatchNormCount(count, [N, F], opts);
    const m = opts.momentum;
    const rm = w.runningMean.read().dataSync() as Float32Array,
      rv = w.runningVar.read().dataSync() as Float32Array;
    const newMean = new Float32Array(F),
      newVar = new Float32Array(F);
    for (let f = 0; f < F; f++) {
      newMean[f] = (1 - m) * rm[f] + m * mean[f];
      newVar[f] = (1 - m) * rv[f] + (m * variance[f] * count) / (count - 1);
    }
    w.runningMean.write(tf.tensor1d(newMean));
    w.runningVar.write(tf.tensor1d(newVar));
  } else {
    mean = Float64Array.from(w.runningMean.read().dataSync());
    variance = Float64Array.from(w.runningVar.read().dataSync());
  }
  for (let f = 0; f < F; f++) inv[f] = 1 / Math.sqrt(variance[f] + opts.eps);
  normalize(h, hat, N, F, mean, inv, gamma, beta);
  return { hat, inv, gamma, training: stats !== undefined, count };
}

/** ĥ = (h − mean)·inv and h ← γ·ĥ + β per feature, for h [N,F] (the loop of `batchNorm`). */
function normalize(
  h: Float64Array,
  hat: Float64Array,
  N: number,
  F: number,
  mean: Float64Array,
  inv: Float64Array,
  gamma: Float32Array,
  beta: Float32Array,
): void {
  for (let n = 0, i = 0; n < N; n++)
    for (let f = 0; f < F; f++, i++) {
      const v = (h[i] - mean[f]) * inv[f];
      hat[i] = v;
      h[i] = gamma[f] * v + beta[f];
    }
}

/**
 * (dγ, dβ) of the norm over the local rows, and dout replaced in place by the gradient of its input.
 * In training the batch statistics depend on the input too: with A = Σ_k w_k·Σ dout and
 * B = Σ_k w_k·Σ dout·ĥ over the replicas k (w_k = their share of the batch, by which the trainer
 * weights each replica's gradients), din = γ/σ·(dout − A/(w·M) − ĥ·B/(w·M)) for M rows in all
 * (`TorchBatchNorm`'s synchronised formula; on one replica, dout − mean dout − ĥ·mean(dout·ĥ)).
 */
function batchNormBackward(s: NormState, N: number, F: number, dout: Float64Array, reducer: CrossReplicaReducer) {
  const { hat, gamma, inv } = s;
  const local = new Float64Array(2 * F);
  for (let n = 0, i = 0; n < N; n++)
    for (let f = 0; f < F; f++, i++) {
      const d = dout[i];
      local[f] += d;
      local[F + f] += d * hat[i];
    }
  const dbeta = Float32Array.from(local.subarray(0, F)),
    dgamma = Float32Array.from(local.subarray(F));
  const scale = new Float64Array(F);
  for (let f = 0; f < F; f++) scale[f] = gamma[f] * inv[f];
  if (s.training) {
    const global = reducer.allReduce(local, reducer.weight);
    const share = reducer.weight * s.count;
    for (let n = 0, i = 0; n < N; n++)
      for (let f = 0; f < F; f++, i++) dout[i] = scale[f] * (dout[i] - global[f] / share - (hat[i] * global[F + f]) / share);
  } else {
    for (let n = 0, i = 0; n < N; n++) for (let f = 0; f < F; f++, i++) dout[i] = scale[f] * dout[i];
  }
  return { dgamma, dbeta };
}

// The op's element loops, outside its per-call closures (in a CPU profile the loops inside them
// were deoptimised again and again).

function countNonFinite(a: Float64Array): number {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) count++;
  return count;
}

/** σ of every element, float64. */
function sigmoidOf(h: Float64Array): Float64Array {
  const s = new Float64Array(h.length);
  for (let i = 0; i < h.length; i++) s[i] = sigmoid(h[i]);
  return s;
}

/** dL/dh of s = σ(h): ds·s·(1 − s). */
function sigmoidBackward(ds: ArrayLike<number>, s: Float64Array): Float64Array {
  const dh = new Float64Array(s.length);
  for (let i = 0; i < s.length; i++) dh[i] = ds[i] * s[i] * (1 - s[i]);
  return dh;
}

/** a/d as float32 (the mean's gradient). */
function dividedBy(a: Float64Array, d: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] / d;
  return out;
}

/**
 * y = ACON-C(x; p1, p2, β = G(mean_hw(x))) for x `[N, …, C]`, or undefined where the fused op does
 * not apply (a non-finite spatial mean: the caller's overflow-free composition handles it).
 */
export function fusedChannelMetaAconC(x: tf.Tensor, w: FusedMetaAconWeights, opts: FusedMetaAconOptions): tf.Tensor | undefined {
  const N = x.shape[0],
    C = x.shape[x.rank - 1];
  const S = N * C === 0 ? 0 : x.size / (N * C);
  const shape3 = [N, S, C];
  const pooledT = tf.tidy(() => tf.mean(tf.reshape(x, shape3), 1));
  const pooled = Float64Array.from(pooledT.dataSync());
  pooledT.dispose();
  const reducer = crossReplicaReducer() ?? singleReplicaReducer;
  const nonFinite = countNonFinite(pooled);
  const H = w.affine[0].kernel.shape[1] as number;
  const kernels = w.affine.map((a) => a.kernel.read().dataSync() as Float32Array);
  const h1 = affine(pooled, N, C, kernels[0], w.affine[0].bias.read().dataSync() as Float32Array, H);
  const synchronised = opts.training && w.norms.length > 0;
  // The first norm's all-reduce also counts every replica's non-finite means, so that synchronised
  // replicas all take the same path (their all-reduces pair up).
  const stats1 = synchronised ? batchStatistics(h1, N, H, reducer, nonFinite) : undefined;
  if ((stats1 ? stats1.flag : nonFinite) > 0) return undefined;
  const inputs = [
    x,
    w.p1.read(),
    w.p2.read(),
    ...w.affine.flatMap((a) => [a.kernel.read(), a.bias.read()]),
    ...w.norms.flatMap((n) => [n.gamma.read(), n.beta.read()]),
  ];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [xt, p1, p2] = args as tf.Tensor[];
    // The generator, forward.
    const bn1 = w.norms.length ? batchNorm(h1, N, H, w.norms[0], opts, stats1) : undefined;
    const h2 = affine(h1, N, H, kernels[1], w.affine[1].bias.read().dataSync() as Float32Array, C);
    const bn2 = w.norms.length
      ? batchNorm(h2, N, C, w.norms[1], opts, synchronised ? batchStatistics(h2, N, C, reducer) : undefined)
      : undefined;
    const beta64 = sigmoidOf(h2),
      beta = Float32Array.from(beta64);
    save([xt, p1, p2]);
    const betaT = tf.tensor3d(beta, [N, 1, C]);
    const y3 = tf.engine().runKernel(ACON_C, { x: tf.reshape(xt, shape3), p1, p2, beta: betaT }, { gate: opts.gate }) as tf.Tensor;
    const value = tf.reshape(y3, x.shape);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, p1s, p2s] = saved;
      const betaB = tf.tensor3d(beta, [N, 1, C]);
      const [dx3, dp1, dp2, dbetaT] = tf.engine().runKernel(
        ACON_C_GRAD,
        { x: tf.reshape(xs, shape3), p1: p1s, p2: p2s, beta: betaB, dy: tf.reshape(dy, shape3) },
        {
          gate: opts.gate,
        },
      ) as tf.Tensor[];
      const dbeta = dbetaT.dataSync();
      // The generator, backward: σ, bn2, fc2, bn1, fc1, then the mean.
      const d2 = sigmoidBackward(dbeta, beta64);
      const n2 = bn2 && batchNormBackward(bn2, N, C, d2, reducer);
      const fc2 = affineBackward(h1, N, H, kernels[1], C, d2);
      const n1 = bn1 && batchNormBackward(bn1, N, H, fc2.din, reducer);
      const fc1 = affineBackward(pooled, N, C, kernels[0], H, fc2.din);
      const meanGrad = tf.tensor3d(dividedBy(fc1.din, S), [N, 1, C]);
      const dx = tf.reshape(tf.add(dx3, meanGrad), x.shape);
      tf.dispose([betaB, dx3, dbetaT, meanGrad]);
      const grads = [dx, dp1, dp2, tf.tensor2d(fc1.dk, [C, H]), tf.tensor1d(fc1.db), tf.tensor2d(fc2.dk, [H, C]), tf.tensor1d(fc2.db)];
      if (n1 && n2) grads.push(tf.tensor1d(n1.dgamma), tf.tensor1d(n1.dbeta), tf.tensor1d(n2.dgamma), tf.tensor1d(n2.dbeta));
      return grads;
    };
    return { value, gradFunc };
  });
  return op(...inputs);
}
