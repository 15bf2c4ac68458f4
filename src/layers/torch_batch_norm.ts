/**
 * Batch normalisation with PyTorch's semantics (torch.nn.BatchNorm*d), so that statistics learned
 * in PyTorch carry over exactly: training normalises with the batch mean and the *biased* batch
 * variance, and updates running_mean ← (1 − m)·running_mean + m·mean and
 * running_var ← (1 − m)·running_var + m·var·n/(n − 1) (the *unbiased* variance), with PyTorch's
 * momentum m (0.1 by default, the weight of the new value). Inference uses the running statistics.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

export const TORCH_BN_EPS = 1e-5;
export const TORCH_BN_MOMENTUM = 0.1;

export interface TorchBatchNormWeights {
  gamma: tfl.LayerVariable;
  beta: tfl.LayerVariable;
  runningMean: tfl.LayerVariable;
  runningVar: tfl.LayerVariable;
}

/**
 * Normalises `v` `[..., F]` over every axis but the last (F features).
 * @param where names the caller in the error raised when training sees one value per feature.
 */
export function torchBatchNorm(v: tf.Tensor, w: TorchBatchNormWeights, opts: { training: boolean; eps: number; momentum: number; where: string }): tf.Tensor {
  const axes = v.shape.slice(0, -1).map((_, i) => i);
  if (!opts.training) {
    return tf.add(tf.mul(tf.div(tf.sub(v, w.runningMean.read()), tf.sqrt(tf.add(w.runningVar.read(), opts.eps))), w.gamma.read()), w.beta.read());
  }
  const n = v.size / v.shape[v.rank - 1];
  if (n < 2) {
    throw new Error(`${opts.where}: batch normalization in training needs more than 1 value per channel, ` +
      `got input of shape [${v.shape}] (PyTorch raises the same); use a batch size > 1 or normalization: 'none'`);
  }
  const { mean, variance } = tf.moments(v, axes);
  tf.tidy(() => {
    const m = opts.momentum;
    w.runningMean.write(tf.add(tf.mul(w.runningMean.read(), 1 - m), tf.mul(mean, m)));
    w.runningVar.write(tf.add(tf.mul(w.runningVar.read(), 1 - m), tf.mul(variance, (m * n) / (n - 1))));
  });
  return tf.add(tf.mul(tf.div(tf.sub(v, mean), tf.sqrt(tf.add(variance, opts.eps))), w.gamma.read()), w.beta.read());
}
