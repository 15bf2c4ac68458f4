/**
 * Meta-ACON-C (Ma et al., CVPR 2021, §4): ACON-C whose switching factor β is generated from the
 * input by a small network G(x), so each sample decides how much to activate:
 *   f(x) = (p1 − p2)x·σ(β(p1 − p2)x) + p2x,  β = G(x).
 *
 * Granularities of G (the paper's design space, channels last, mean over the spatial axes H,W):
 * - `'channel'` (the official design, nmaac/acon): β_{n,c} = σ(BN2(W2·BN1(W1·mean_hw(x_n) + b1) + b2))_c,
 *   W1 `[C → max(r, ⌊C/r⌋)]`, W2 back to C, no nonlinearity in between. β has shape `[N,1,…,1,C]`.
 * - `'layer'`: β_n = σ(BN(w·mean_{h,w,c}(x_n) + b)), one scalar per sample (the paper's
 *   σ(Σ_{c,h,w} x) with a mean for scale-freeness and a learnable affine w, b initialised to 1, 0).
 *   β has shape `[N,1,…,1]`.
 * - `'pixel'`: β_{n,h,w,c} = σ(BN(w_c·x_{n,h,w,c} + b_c)), per element (the paper's σ(x_{c,h,w})
 *   with a learnable per-channel affine w = 1, b = 0 initially, BN per channel over N,H,W).
 * `normalization: 'none'` drops the BN steps (as yolov5 does), which lets training run at batch 1.
 * BN follows PyTorch (`torch_batch_norm.ts`).
 *
 * Weights, in `getWeights()` order (PyTorch names of the official MetaAconC in brackets):
 * channel: p1 [C] (p1), p2 [C] (p2), fc1 kernel [C,h] (fc1.weight [h,C,1,1] transposed), fc1 bias [h]
 *   (fc1.bias), bn1 gamma, bn1 beta [h] (bn1.weight, bn1.bias), fc2 kernel [h,C] (fc2.weight [C,h,1,1]
 *   transposed), fc2 bias [C], bn2 gamma, bn2 beta [C]; then non-trainable bn1 moving mean, bn1 moving
 *   variance [h] (bn1.running_mean, bn1.running_var), bn2 moving mean, bn2 moving variance [C].
 * layer: p1, p2, fc kernel [1,1], fc bias [1], bn gamma [1], bn beta [1]; bn moving mean, variance [1].
 * pixel: p1, p2, scale [C], bias [C], bn gamma [C], bn beta [C]; bn moving mean, variance [C].
 * Without normalization the BN weights are absent.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { aconC, type AconGate } from '../ops/index.js';
import { channelsOf, checkGate, single } from './acon.js';
import {
  checkPreset,
  presetInitializer,
  resolveInitializer,
  serializeInitializer,
  type AconPreset,
  type Initializer,
  type InitializerLike,
} from './initializers.js';
import { crossReplicaReducer } from './cross_replica.js';
import { fusedChannelMetaAconC, fusedMetaAconAvailable } from './meta_acon_fused.js';
import {
  applyScaledTorchBatchNorm,
  batchNormArgs,
  checkBatchNormCount,
  type ScaledValue,
  type TorchBatchNormWeights,
} from './torch_batch_norm.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;
type Shape = (number | null)[];

/** How finely Meta-ACON generates β (see the module doc); the first is the default. */
export const META_ACON_GRANULARITIES = ['channel', 'layer', 'pixel'] as const;
export type MetaAconGranularity = (typeof META_ACON_GRANULARITIES)[number];
export type MetaAconNormalization = 'batch' | 'none';
const NORMALIZATIONS: readonly MetaAconNormalization[] = ['batch', 'none'];

export interface MetaAconCLayerArgs extends LayerArgs {
  /** How finely β is generated; default `'channel'` (the official design). */
  granularity?: MetaAconGranularity;
  /** Reduction ratio of the channel-wise generator: hidden width max(r, ⌊C/r⌋). Default 16. */
  r?: number;
  /** `'batch'` (default, official) or `'none'`. */
  normalization?: MetaAconNormalization;
  /** BatchNorm epsilon (default 1e-5) and PyTorch-sense momentum (default 0.1). */
  epsilon?: number;
  momentum?: number;
  /** Starting p1, p2: `'official'` (N(0,1), default), `'swish'`, `'relu-like'` (both p1 = 1, p2 = 0). */
  preset?: AconPreset;
  p1Initializer?: InitializerLike;
  p2Initializer?: InitializerLike;
  /**
   * The switch of the activation: `'sigmoid'` (default) or `'hardSigmoid'` (nmaac/acon#2, #12). The
   * generator's own output β = σ(·) stays a sigmoid.
   */
  gate?: AconGate;
}

function oneOf<T extends string>(layer: string, field: string, v: unknown, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!allowed.includes(v as T))
    throw new Error(`${layer}: ${field} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got '${String(v)}'`);
  return v as T;
}

/** PyTorch's default init of a 1×1 conv / linear with `fanIn` inputs: U(−1/√fanIn, 1/√fanIn) for weight and bias. */
function torchDefaultInit(fanIn: number): Initializer {
  const bound = 1 / Math.sqrt(fanIn);
  return tfl.initializers.randomUniform({ minval: -bound, maxval: bound });
}

/** Backends whose reads are synchronous and cheap, where a small tensor may be inspected mid-graph. */
const SYNCHRONOUS_BACKENDS = new Set(['cpu', 'wasm', 'tensorflow']);

/**
 * mean(x) over `axes` without overflow in the sum: where tf.mean is finite it is the answer;
 * otherwise mean(x·2^−k)·2^k with 2^k ≥ the count, exact (a power-of-two scaling commutes with
 * rounding). On synchronous backends the plain mean is checked first (one read of the small
 * pooled tensor), so the x-sized scaled copy is made only when something overflowed; elsewhere
 * (webgl, webgpu: no mid-graph reads) it is always made.
 */
function overflowFreeMean(x: tf.Tensor, axes: number[]): tf.Tensor {
  if (!axes.length) return x;
  const count = axes.reduce((a, i) => a * x.shape[i], 1);
  const k = 2 ** Math.ceil(Math.log2(Math.max(count, 1)));
  if (k === 1) return tf.mean(x, axes);
  if (SYNCHRONOUS_BACKENDS.has(tf.getBackend())) {
    const plain = tf.mean(x, axes);
    if ((plain.dataSync() as Float32Array).every(Number.isFinite)) return plain;
  }
  return tf.mul(tf.mean(tf.mul(x, 1 / k), axes), k);
}

/**
 * The power of two max(1, 2^⌈log2 max|ref|⌉) (at most 2^127) as a float32 scalar. A constant for
 * the gradient: its own ops (abs, max, log, ceil) stay off the tape.
 */
const scaleOf = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const ref = args[0] as tf.Tensor;
  const exponent = tf.clipByValue(tf.ceil(tf.div(tf.log(tf.max(tf.abs(ref))), Math.LN2)), 0, 127);
  return { value: tf.pow(tf.scalar(2), exponent), gradFunc: () => tf.zerosLike(ref) };
}) as (ref: tf.Tensor) => tf.Tensor;

/** `v` as v'·scale with the scale of `ref` (`scaleOf`), so that |v'| ≤ 1 when v is as large as `ref`. */
function scaledDown(v: tf.Tensor, ref: tf.Tensor): ScaledValue {
  const scale = scaleOf(ref);
  return { v: tf.div(v, scale), scale };
}

export class MetaAconC extends tfl.layers.Layer {
  static className = 'MetaAconC';
  readonly granularity: MetaAconGranularity;
  readonly r: number;
  readonly normalization: MetaAconNormalization;
  readonly epsilon: number;
  readonly momentum: number;
  readonly preset: AconPreset;
  readonly gate: AconGate;
  private readonly p1Explicit?: Initializer;
  private readonly p2Explicit?: Initializer;
  private p1!: tfl.LayerVariable;
  private p2!: tfl.LayerVariable;
  /** Affine maps of the generator, in order (channel: fc1, fc2; layer: fc; pixel: the per-channel scale). */
  private affine: { kernel: tfl.LayerVariable; bias: tfl.LayerVariable }[] = [];
  private norms: TorchBatchNormWeights[] = [];

  constructor(args: MetaAconCLayerArgs = {}) {
    super(args);
    const cls = MetaAconC.className;
    this.granularity = oneOf(cls, 'granularity', args.granularity, META_ACON_GRANULARITIES, 'channel');
    this.normalization = oneOf(cls, 'normalization', args.normalization, NORMALIZATIONS, 'batch');
    this.r = args.r ?? 16;
    if (!Number.isInteger(this.r) || this.r < 1) throw new Error(`${cls}: r must be a positive integer, got ${args.r}`);
    ({ epsilon: this.epsilon, momentum: this.momentum } = batchNormArgs(cls, args));
    this.preset = checkPreset(cls, args.preset);
    this.gate = checkGate(cls, args.gate);
    if (args.p1Initializer !== undefined) this.p1Explicit = resolveInitializer(cls, 'p1Initializer', args.p1Initializer);
    if (args.p2Initializer !== undefined) this.p2Explicit = resolveInitializer(cls, 'p2Initializer', args.p2Initializer);
  }

  /** Hidden width of the channel-wise generator for C channels: max(r, ⌊C/r⌋). */
  hiddenUnits(C: number): number {
    return Math.max(this.r, Math.floor(C / this.r));
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const C = channelsOf(MetaAconC.className, shape);
    this.p1 = this.addWeight('p1', [C], 'float32', this.p1Explicit ?? presetInitializer(this.preset, 'p1'));
    this.p2 = this.addWeight('p2', [C], 'float32', this.p2Explicit ?? presetInitializer(this.preset, 'p2'));
    const ones = tfl.initializers.ones(),
      zeros = tfl.initializers.zeros();
    const dense = (name: string, inUnits: number, outUnits: number) => {
      const init = torchDefaultInit(inUnits);
      this.affine.push({
        kernel: this.addWeight(`${name}/kernel`, [inUnits, outUnits], 'float32', init),
        bias: this.addWeight(`${name}/bias`, [outUnits], 'float32', init),
      });
    };
    const bnTrainable = (name: string, units: number) => ({
      gamma: this.addWeight(`${name}/gamma`, [units], 'float32', ones),
      beta: this.addWeight(`${name}/beta`, [units], 'float32', zeros),
    });
    const bnStats = (name: string, units: number) => ({
      runningMean: this.addWeight(`${name}/moving_mean`, [units], 'float32', zeros, undefined, false),
      runningVar: this.addWeight(`${name}/moving_variance`, [units], 'float32', ones, undefined, false),
    });
    const withBn = this.normalization === 'batch';
    const stages: [string, string, number, number][] = [];
    if (this.granularity === 'channel') {
      const h = this.hiddenUnits(C);
      stages.push(['fc1', 'bn1', C, h], ['fc2', 'bn2', h, C]);
    } else if (this.granularity === 'layer') {
      stages.push(['fc', 'bn', 1, 1]);
    }
    if (this.granularity === 'pixel') {
      this.affine.push({ kernel: this.addWeight('scale', [C], 'float32', ones), bias: this.addWeight('bias', [C], 'float32', zeros) });
      if (withBn) this.norms.push({ ...bnTrainable('bn', C), ...bnStats('bn', C) } as TorchBatchNormWeights);
    } else {
      const trainables = stages.map(([fc, bn, i, o]) => {
        dense(fc, i, o);
        return withBn ? bnTrainable(bn, o) : undefined;
      });
      if (withBn) stages.forEach(([, bn, , o], k) => this.norms.push({ ...trainables[k]!, ...bnStats(bn, o) }));
    }
    this.inputSpec = [{ minNDim: 2, axes: { [-1]: C } }];
    this.built = true;
  }

  /**
   * β = G(x), shaped to broadcast against x (see the class comment). The generator runs on values
   * held as v·scale (`torch_batch_norm.ts`), scale the power of two ≥ 1 that brings the pooled input
   * (or x, pixel-wise) to |v| ≤ 1, so finite x up to 3e38 never overflows a mean, a product or a
   * variance on the way; with |input| ≤ 1 the scale is 1 and the arithmetic is the plain one.
   */
  generateBeta(x: tf.Tensor, training: boolean): tf.Tensor {
    const bnOpts = this.batchNormOptions(training);
    const N = x.shape[0],
      C = x.shape[x.rank - 1];
    const spatialAxes = x.shape.slice(1, -1).map((_, i) => i + 1);
    const ones = new Array<number>(x.rank - 2).fill(1);
    this.checkTrainingBatch(x, training);
    const norm = (h: ScaledValue, k: number) => (this.norms[k] ? applyScaledTorchBatchNorm(h, this.norms[k], bnOpts) : h);
    const affine = (h: ScaledValue, kernel: tf.Tensor, bias: tf.Tensor, product: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => ({
      v: tf.add(product(h.v, kernel), h.scale ? tf.div(bias, h.scale) : bias),
      scale: h.scale,
    });
    const unscaled = (h: ScaledValue) => (h.scale ? tf.mul(h.v, h.scale) : h.v);
    if (this.granularity === 'pixel') {
      const [{ kernel, bias }] = this.affine;
      const h = norm(affine(scaledDown(x, x), kernel.read(), bias.read(), tf.mul), 0);
      return tf.sigmoid(unscaled(h));
    }
    const pooled = overflowFreeMean(x, this.granularity === 'channel' ? spatialAxes : spatialAxes.concat([x.rank - 1]));
    let h = scaledDown(tf.reshape(pooled, [N, -1]), pooled);
    this.affine.forEach(({ kernel, bias }, k) => {
      h = norm(affine(h, kernel.read(), bias.read(), tf.matMul), k);
    });
    return tf.reshape(tf.sigmoid(unscaled(h)), this.granularity === 'channel' ? [N, ...ones, C] : [N, ...ones, 1]);
  }

  private batchNormOptions(training: boolean) {
    return { training, eps: this.epsilon, momentum: this.momentum, where: `MetaAconC '${this.name}'`, remedy: "normalization: 'none'" };
  }

  /** PyTorch's error for training-mode BN over one value per feature, before the first op (so a failing call inside tf.variableGrads leaves no tensors behind). */
  private checkTrainingBatch(x: tf.Tensor, training: boolean): void {
    if (!training || !this.norms.length || crossReplicaReducer()) return;
    const N = x.shape[0],
      C = x.shape[x.rank - 1];
    const bnInput = this.granularity === 'pixel' ? x.shape : [N, this.granularity === 'channel' ? this.hiddenUnits(C) : 1];
    checkBatchNormCount(
      bnInput.slice(0, -1).reduce((a, b) => a * b, 1),
      bnInput,
      this.batchNormOptions(training),
    );
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean } = {}): tf.Tensor {
    const x = single('MetaAconC', inputs);
    const training = kwargs.training === true;
    return tf.tidy(() => {
      if (this.granularity === 'channel' && fusedMetaAconAvailable()) {
        this.checkTrainingBatch(x, training);
        const opts = { ...this.batchNormOptions(training), gate: this.gate };
        const y = fusedChannelMetaAconC(x, { p1: this.p1, p2: this.p2, affine: this.affine, norms: this.norms }, opts);
        if (y) return y;
      }
      return aconC(x, this.p1.read(), this.p2.read(), this.generateBeta(x, training), { gate: this.gate });
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      granularity: this.granularity,
      r: this.r,
      normalization: this.normalization,
      epsilon: this.epsilon,
      momentum: this.momentum,
      preset: this.preset,
    };
    if (this.gate !== 'sigmoid') config.gate = this.gate;
    if (this.p1Explicit) config.p1Initializer = serializeInitializer(this.p1Explicit);
    if (this.p2Explicit) config.p2Initializer = serializeInitializer(this.p2Explicit);
    return { ...config, ...super.getConfig() };
  }
}

tf.serialization.registerClass(MetaAconC);
