/** The training loss each replica differentiates. */
import * as tf from '@tensorflow/tfjs-core';

/** L = mean over the batch of −Σ_c t_c·log softmax(z)_c, with smoothed targets t = (1 − ε)·y + ε/C. */
export interface SoftmaxCrossEntropySpec {
  type: 'softmaxCrossEntropy';
  /** ε ∈ [0, 1); default 0. */
  labelSmoothing?: number;
}

export type LossSpec = SoftmaxCrossEntropySpec;

export type LossFn = (labels: tf.Tensor2D, logits: tf.Tensor) => tf.Scalar;

export function lossFunction(spec: LossSpec): LossFn {
  if (spec.type !== 'softmaxCrossEntropy') throw new Error(`acon: unknown loss type '${(spec as { type: string }).type}'`);
  const eps = spec.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 1)) throw new Error(`acon: labelSmoothing must be in [0, 1), got ${eps}`);
  return (labels, logits) => tf.losses.softmaxCrossEntropy(labels, logits, undefined, eps);
}
