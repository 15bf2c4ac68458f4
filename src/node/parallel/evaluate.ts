/**
 * Inference-mode metrics of a classifier on one batch: the unit of evaluation that the
 * data-parallel trainer hands to its replicas (`DataParallelTrainer.evaluate`), and that
 * `evaluate` in the trainer sums over a data split.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Rows x `[n, ...inputShape]` (row-major) and their class labels `[n]`. */
export interface EvalBatch {
  x: Float32Array;
  labels: Int32Array;
}

/** Σ of the softmax cross-entropy (no label smoothing) over the batch, and how many rows the arg-max logit gets wrong. */
export interface EvalSums {
  lossSum: number;
  wrong: number;
}

/** A model that predicts logits `[n, classes]`; `batchSize` as in `tf.LayersModel.predict`. */
export interface Predictor {
  predict(x: tf.Tensor, args?: { batchSize?: number }): tf.Tensor | tf.Tensor[];
}

/** The batch's metrics, from one forward pass in inference mode over all its rows. */
export function evaluateBatch(model: Predictor, inputShape: readonly number[], batch: EvalBatch): EvalSums {
  const n = batch.labels.length;
  return tf.tidy(() => {
    const x = tf.tensor(batch.x.subarray(0, n * inputShape.reduce((a, b) => a * b, 1)), [n, ...inputShape]);
    const y = tf.tensor1d(batch.labels, 'int32');
    const logits = model.predict(x, { batchSize: n }) as tf.Tensor2D;
    const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(y, logits.shape[1]), logits, undefined, 0, tf.Reduction.SUM);
    const wrong = tf.sum(tf.cast(tf.notEqual(tf.argMax(logits, 1), y), 'float32'));
    return { lossSum: ce.dataSync()[0], wrong: wrong.dataSync()[0] };
  });
}
