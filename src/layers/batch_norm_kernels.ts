/**
 * Optional fused kernels for training-mode batch norm over channels-last data (rows × C), used by
 * `TorchBatchNorm`'s synchronised path where the active backend has them (acon/node registers
 * them for wasm and cpu); elsewhere the layer composes tfjs ops. With x̂ = (x − mean)·invStd:
 *   `AconBatchNormCenteredSquares` {x, mean} → [C]: Σ_rows (x − mean)²
 *   `AconBatchNormTrain` {x, mean, invStd, gamma, beta} → y = x̂·γ + β
 *   `AconBatchNormGradSums` {dy, x, mean, invStd} → [2, C]: Σ_rows dy, Σ_rows dy·x̂
 *   `AconBatchNormGradInput` {dy, x, mean, invStd, a, c0, c1} → dx = (dy·a − c0) − x̂·c1
 *   `AconBatchNormInference` {x, mean, std, gamma, beta} → y = ((x − mean)/std)·γ + β (inference,
 *   with the running statistics; std = √(running var + ε))
 * Per-channel inputs are [C] float32. Each rounds as the composition of tfjs ops it replaces.
 */
import * as tf from '@tensorflow/tfjs-core';

export const BATCH_NORM_CENTERED_SQUARES = 'AconBatchNormCenteredSquares';
export const BATCH_NORM_TRAIN = 'AconBatchNormTrain';
export const BATCH_NORM_GRAD_SUMS = 'AconBatchNormGradSums';
export const BATCH_NORM_GRAD_INPUT = 'AconBatchNormGradInput';

export const BATCH_NORM_INFERENCE = 'AconBatchNormInference';

const NAMES = [BATCH_NORM_CENTERED_SQUARES, BATCH_NORM_TRAIN, BATCH_NORM_GRAD_SUMS, BATCH_NORM_GRAD_INPUT];

/** Whether the active backend has every fused training batch-norm kernel. */
export function hasFusedBatchNormKernels(): boolean {
  const backend = tf.getBackend();
  return NAMES.every((name) => tf.getKernel(name, backend) !== undefined);
}

/** Whether the active backend has the fused inference batch-norm kernel. */
export function hasFusedBatchNormInference(): boolean {
  return tf.getKernel(BATCH_NORM_INFERENCE, tf.getBackend()) !== undefined;
}

type Named = Record<string, tf.Tensor>;
const run = (name: string, inputs: Named) => tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, {}) as tf.Tensor;

export const batchNormCenteredSquares = (x: tf.Tensor, mean: tf.Tensor) => run(BATCH_NORM_CENTERED_SQUARES, { x, mean });
export const batchNormTrain = (inputs: { x: tf.Tensor; mean: tf.Tensor; invStd: tf.Tensor; gamma: tf.Tensor; beta: tf.Tensor }) =>
  run(BATCH_NORM_TRAIN, inputs);
export const batchNormInference = (inputs: { x: tf.Tensor; mean: tf.Tensor; std: tf.Tensor; gamma: tf.Tensor; beta: tf.Tensor }) =>
  run(BATCH_NORM_INFERENCE, inputs);
export const batchNormGradSums = (inputs: { dy: tf.Tensor; x: tf.Tensor; mean: tf.Tensor; invStd: tf.Tensor }) =>
  run(BATCH_NORM_GRAD_SUMS, inputs);
export const batchNormGradInput = (inputs: {
  dy: tf.Tensor;
  x: tf.Tensor;
  mean: tf.Tensor;
  invStd: tf.Tensor;
  a: tf.Tensor;
  c0: tf.Tensor;
  c1: tf.Tensor;
}) => run(BATCH_NORM_GRAD_INPUT, inputs);
