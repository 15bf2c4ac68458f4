/**
 * Batch normalisation with PyTorch's semantics (torch.nn.BatchNorm*d), so that statistics learned
 * in PyTorch carry over exactly: training normalises with the batch mean and the *biased* batch
 * variance, and updates running_mean ← (1 − m)·running_mean + m·mean and
 * running_var ← (1 − m)·running_var + m·var·n/(n − 1) (the *unbiased* variance), with PyTorch's
 * momentum m (0.1 by default, the weight of the new value). Inference uses the running statistics.
 *
 * With a cross-replica reducer installed (`cross_replica.ts`), training takes the statistics over
 * every replica's shard, forward and backward, as PyTorch's SyncBatchNorm does.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  batchNormCenteredSquares,
  batchNormGradInput,
  batchNormGradSums,
  batchNormInference,
  batchNormTrain,
  hasFusedBatchNormInference,
  hasFusedBatchNormKernels,
} from './batch_norm_kernels.js';
import { crossReplicaReducer, singleReplicaReducer, type CrossReplicaReducer } from './cross_replica.js';

export const TORCH_BN_EPS = 1e-5;
export const TORCH_BN_MOMENTUM = 0.1;

/**
 * The batch-norm arguments of a layer with their defaults (eps 1e-5, PyTorch-sense momentum 0.1),
 * checked: epsilon > 0, momentum in [0, 1]. Errors name `layer`.
 */
export function batchNormArgs(layer: string, args: { epsilon?: number; momentum?: number }): { epsilon: number; momentum: number } {
  const epsilon = args.epsilon ?? TORCH_BN_EPS;
  const momentum = args.momentum ?? TORCH_BN_MOMENTUM;
  if (!(epsilon > 0)) throw new Error(`${layer}: epsilon must be > 0, got ${args.epsilon}`);
  if (!(momentum >= 0 && momentum <= 1)) throw new Error(`${layer}: momentum must be in [0, 1] (PyTorch sense), got ${args.momentum}`);
  return { epsilon, momentum };
}

export interface TorchBatchNormWeights {
  gamma: tfl.LayerVariable;
  beta: tfl.LayerVariable;
  runningMean: tfl.LayerVariable;
  runningVar: tfl.LayerVariable;
}

export interface TorchBatchNormOptions {
  training: boolean;
  eps: number;
  momentum: number;
  /** Names the caller in errors. */
  where: string;
  /** How the caller can avoid the one-value-per-channel error, besides a larger batch. */
  remedy?: string;
}

/** Normalises `v` `[..., F]` over every axis but the last (F features). */
export function applyTorchBatchNorm(v: tf.Tensor, w: TorchBatchNormWeights, opts: TorchBatchNormOptions): tf.Tensor {
  return applyScaledTorchBatchNorm({ v }, w, opts).v;
}

/**
 * A value held as `v·scale`, with `scale` a float32 scalar power of two ≥ 1 (absent: 1), so that
 * values beyond float32's range, or whose squares are, stay finite (Meta-ACON's generator on
 * |x| up to 3e38). Scaling by a power of two is exact, so with scale 1 nothing changes.
 */
export interface ScaledValue {
  v: tf.Tensor;
  scale?: tf.Tensor;
}

/**
 * Batch norm of the value `v·scale`. Training gives the normalised value, (v − mean)/√(var + eps/scale²)
 * (its scale is 1: the statistics of the true value are scale·mean and scale²·var); inference gives
 * the result in units of `scale`: (v − running_mean/scale)·γ/√(running_var + eps) + β/scale.
 */
export function applyScaledTorchBatchNorm(input: ScaledValue, w: TorchBatchNormWeights, opts: TorchBatchNormOptions): ScaledValue {
  const { v, scale } = input;
  if (!opts.training) {
    if (!scale && hasFusedBatchNormInference()) {
      const std = tf.tidy(() => tf.sqrt(tf.add(w.runningVar.read(), opts.eps)));
      const y = batchNormInference({ x: v, mean: w.runningMean.read(), std, gamma: w.gamma.read(), beta: w.beta.read() });
      std.dispose();
      return { v: y };
    }
    const shifted = scale ? tf.sub(v, tf.div(w.runningMean.read(), scale)) : tf.sub(v, w.runningMean.read());
    const y = tf.mul(tf.div(shifted, tf.sqrt(tf.add(w.runningVar.read(), opts.eps))), w.gamma.read());
    return { v: tf.add(y, scale ? tf.div(w.beta.read(), scale) : w.beta.read()), scale };
  }
  // Where the fused kernels exist, one thread takes the closed form too (as one replica of one).
  const reducer = crossReplicaReducer() ?? (hasFusedBatchNormKernels() ? singleReplicaReducer : undefined);
  if (reducer) return { v: syncBatchNorm(v, scale ? scale.dataSync()[0] : 1, w, opts, reducer) };
  const axes = v.shape.slice(0, -1).map((_, i) => i);
  const n = v.size / v.shape[v.rank - 1];
  checkBatchNormCount(n, v.shape, opts);
  const { mean, variance } = tf.moments(v, axes);
  if (scale) updateRunningStats(w, tf.mul(mean, scale), tf.mul(variance, tf.square(scale)), n, opts.momentum);
  else updateRunningStats(w, mean, variance, n, opts.momentum);
  const eps = scale ? tf.div(opts.eps, tf.square(scale)) : opts.eps;
  return { v: tf.add(tf.mul(tf.div(tf.sub(v, mean), tf.sqrt(tf.add(variance, eps))), w.gamma.read()), w.beta.read()) };
}

/** The error PyTorch raises too: training-mode batch norm over a single value per feature. */
export function checkBatchNormCount(n: number, shape: number[], opts: Pick<TorchBatchNormOptions, 'where' | 'remedy'>): void {
  if (n < 2) {
    throw new Error(
      `${opts.where}: batch normalization in training needs more than 1 value per channel, ` +
        `got input of shape [${shape}] (PyTorch raises the same); use a batch size > 1${opts.remedy ? ` or ${opts.remedy}` : ''}`,
    );
  }
}

function updateRunningStats(w: TorchBatchNormWeights, mean: tf.Tensor, variance: tf.Tensor, n: number, m: number): void {
  tf.tidy(() => {
    w.runningMean.write(tf.add(tf.mul(w.runningMean.read(), 1 - m), tf.mul(mean, m)));
    w.runningVar.write(tf.add(tf.mul(w.runningVar.read(), 1 - m), tf.mul(variance, (m * n) / (n - 1))));
  });
}

/**
 * `updateRunningStats` on values already read back, in JavaScript: each float32 operation of the
 * tfjs version is rounded with Math.fround (the double result of one +, × of float32 values rounds
 * to the float32 result), so the statistics are the same bit for bit, without ~10 small kernels.
 */
function updateRunningStatValues(w: TorchBatchNormWeights, mean: Float32Array, variance: Float32Array, n: number, m: number): void {
  const f = Math.fround;
  const keep = f(1 - m),
    take = f(m),
    takeVar = f((m * n) / (n - 1));
  const rm = w.runningMean.read().dataSync(),
    rv = w.runningVar.read().dataSync();
  const nextMean = Float32Array.from(rm, (r, c) => f(f(r * keep) + f(mean[c] * take)));
  const nextVar = Float32Array.from(rv, (r, c) => f(f(r * keep) + f(variance[c] * takeVar)));
  tf.tidy(() => {
    w.runningMean.write(tf.tensor1d(nextMean));
    w.runningVar.write(tf.tensor1d(nextVar));
  });
}

/** Per-feature sums of `t` over every axis but the last, as float64. */
function featureSums(t: tf.Tensor): Float64Array {
  const s = tf.tidy(() =>
    tf.sum(
      t,
      t.shape.slice(0, -1).map((_, i) => i),
    ),
  );
  const out = Float64Array.from(s.dataSync());
  s.dispose();
  return out;
}

/**
 * Synchronised batch norm over replicas k with shards of M_k values per feature (M = Σ M_k):
 * mean and biased variance over all M values (two reductions, so the variance is two-pass), and
 * for the gradient of shard k's loss (which the trainer weights by w_k = n_k/N = M_k/M):
 *   dx = γ/σ·(dy − (A + x̂·B)/M_k), A = Σ_k w_k·Σ dy, B = Σ_k w_k·Σ dy·x̂;
 * dγ = Σ dy·x̂ and dβ = Σ dy over the local shard. With one replica this is ordinary batch norm.
 * The input value is `v·scale` (a power of two ≥ 1 per replica); the replicas agree on the power of
 * two S ≥ 1 + Σ_k (scale_k − 1) ≥ max_k scale_k (1 when every scale is 1) and normalise v·scale/S,
 * which is exact, so the result does not depend on the scales.
 */
function syncBatchNorm(
  v: tf.Tensor,
  scale: number,
  w: TorchBatchNormWeights,
  opts: TorchBatchNormOptions,
  reducer: CrossReplicaReducer,
): tf.Tensor {
  const F = v.shape[v.rank - 1],
    localCount = v.size / F;
  // One pass per statistic, one for y, one for the backward's sums and one for dx (same rounding as the composition).
  const fused = hasFusedBatchNormKernels();
  const first = reducer.allReduce([...featureSums(v).map((s) => s * scale), localCount, scale - 1]);
  const count = first[F];
  checkBatchNormCount(count, v.shape, opts);
  let common = 1;
  while (common < 1 + first[F + 1]) common *= 2;
  const trueMean = first.subarray(0, F).map((s) => s / count);
  const mean = Float32Array.from(trueMean, (m) => m / common);
  const meanT = tf.tensor1d(mean);
  const vs = scale === common ? v : tf.mul(v, scale / common);
  const squares = fused ? batchNormCenteredSquares(vs, meanT) : tf.tidy(() => tf.square(tf.sub(vs, meanT)));
  const sq = reducer.allReduce(fused ? Float64Array.from(squares.dataSync()) : featureSums(squares));
  squares.dispose();
  const variance = Float32Array.from(sq, (s) => s / count);
  const invStd = Float32Array.from(variance, (s) => 1 / Math.sqrt(s + opts.eps / common ** 2));
  updateRunningStatValues(
    w,
    Float32Array.from(trueMean),
    Float32Array.from(variance, (s) => s * common ** 2),
    count,
    opts.momentum,
  );

  const invStdT = tf.tensor1d(invStd);
  const normalize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, gamma, beta] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    let value: tf.Tensor;
    if (fused) {
      // x itself is kept, and x̂ recomputed in the backward kernels.
      save([x, gamma]);
      value = batchNormTrain({ x, mean: meanT, invStd: invStdT, gamma, beta });
    } else {
      const xhat = tf.mul(tf.sub(x, meanT), invStdT);
      save([xhat, gamma]);
      value = tf.add(tf.mul(xhat, gamma), beta);
    }
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [kept, g] = saved;
      const stats = fused ? { mean: tf.tensor1d(mean), invStd: tf.tensor1d(invStd) } : undefined;
      let dBeta: Float64Array, dGamma: Float64Array;
      if (stats) {
        const sums = batchNormGradSums({ dy, x: kept, ...stats });
        const values = sums.dataSync();
        dBeta = Float64Array.from(values.subarray(0, F));
        dGamma = Float64Array.from(values.subarray(F, 2 * F));
        sums.dispose();
      } else {
        const dyXhat = tf.mul(dy, kept);
        dBeta = featureSums(dy);
        dGamma = featureSums(dyXhat);
        dyXhat.dispose();
      }
      const global = reducer.allReduce([...dBeta, ...dGamma], reducer.weight);
      const gammaValues = g.dataSync(),
        localShare = reducer.weight * count;
      const a = new Float32Array(F),
        c0 = new Float32Array(F),
        c1 = new Float32Array(F);
      for (let f = 0; f < F; f++) {
        a[f] = gammaValues[f] * invStd[f];
        c0[f] = (a[f] * global[f]) / localShare;
        c1[f] = (a[f] * global[F + f]) / localShare;
      }
      const dx = stats
        ? batchNormGradInput({ dy, x: kept, ...stats, a: tf.tensor1d(a), c0: tf.tensor1d(c0), c1: tf.tensor1d(c1) })
        : tf.sub(tf.sub(tf.mul(dy, tf.tensor1d(a)), tf.tensor1d(c0)), tf.mul(kept, tf.tensor1d(c1)));
      return [dx, tf.tensor1d(Float32Array.from(dGamma)), tf.tensor1d(Float32Array.from(dBeta))];
    };
    return { value, gradFunc };
  }) as (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;
  const y = normalize(vs, w.gamma.read(), w.beta.read());
  tf.dispose([meanT, invStdT]);
  return y;
}

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;
type Shape = (number | null)[];

export interface TorchBatchNormLayerArgs extends LayerArgs {
  /** PyTorch-sense momentum, the weight of the new batch statistic; default 0.1. */
  momentum?: number;
  /** Default 1e-5. */
  epsilon?: number;
}

/**
 * Channels-last batch norm with PyTorch's semantics (above), synchronised across data-parallel
 * replicas. Weights, in order: gamma, beta (trainable), moving_mean, moving_variance (PyTorch's
 * weight, bias, running_mean, running_var).
 */
export class TorchBatchNorm extends tfl.layers.Layer {
  static className = 'TorchBatchNorm';
  readonly momentum: number;
  readonly epsilon: number;
  private w!: TorchBatchNormWeights;

  constructor(args: TorchBatchNormLayerArgs = {}) {
    super(args);
    ({ epsilon: this.epsilon, momentum: this.momentum } = batchNormArgs(TorchBatchNorm.className, args));
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const C = shape[shape.length - 1];
    if (shape.length < 2 || C == null)
      throw new Error(`TorchBatchNorm: input must have rank >= 2 and a known channel (last) axis, got shape [${shape}]`);
    const ones = tfl.initializers.ones(),
      zeros = tfl.initializers.zeros();
    this.w = {
      gamma: this.addWeight('gamma', [C], 'float32', ones),
      beta: this.addWeight('beta', [C], 'float32', zeros),
      runningMean: this.addWeight('moving_mean', [C], 'float32', zeros, undefined, false),
      runningVar: this.addWeight('moving_variance', [C], 'float32', ones, undefined, false),
    };
    this.inputSpec = [{ minNDim: 2, axes: { [-1]: C } }];
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean } = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const opts = { training: kwargs.training === true, eps: this.epsilon, momentum: this.momentum, where: `TorchBatchNorm '${this.name}'` };
    return tf.tidy(() => applyTorchBatchNorm(x, this.w, opts));
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { momentum: this.momentum, epsilon: this.epsilon, ...super.getConfig() };
  }
}

tf.serialization.registerClass(TorchBatchNorm);
