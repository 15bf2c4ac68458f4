/**
 * Mini-batches as tensors: images `[B, 28, 28, 1]` float32 (NHWC, normalised with Fashion-MNIST's
 * mean and std) and labels one-hot `[B, 10]` float32 or `[B]` int32. The order is a seeded shuffle
 * that depends only on (seed, epoch). Tensors are made one batch at a time, when the iterator
 * reaches it; the caller disposes them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { IMAGE_SIZE, NUM_CLASSES, normalize, type Split } from './dataset.js';
import { permutation } from '../util/random.js';

export interface BatchOptions {
  batchSize: number;
  /** Default 0. */
  seed?: number;
  /** Mixed into the seed so that each epoch has its own order; default 0. */
  epoch?: number;
  /** Default true; false keeps the split's order (e.g. for evaluation). */
  shuffle?: boolean;
  /** Default `'onehot'`. */
  labels?: 'onehot' | 'int';
  /** Leave out the last, smaller batch; default false. */
  dropRemainder?: boolean;
}

export interface Batch {
  /** `[B, 28, 28, 1]` float32. */
  xs: tf.Tensor4D;
  /** `[B, 10]` float32 one-hot, or `[B]` int32. */
  ys: tf.Tensor;
  /** Which items of the split are in the batch. */
  indices: Uint32Array;
}

/** The order in which `batches` visits the split's items. */
export function batchOrder(count: number, opts: Pick<BatchOptions, 'seed' | 'epoch' | 'shuffle'> = {}): Uint32Array {
  if (opts.shuffle === false) return Uint32Array.from({ length: count }, (_, i) => i);
  return permutation(count, ((opts.seed ?? 0) * 100_003 + (opts.epoch ?? 0) * 7_919 + 1) >>> 0);
}

/** The split in batches of `batchSize` (the last one smaller unless `dropRemainder`). */
export function batches(split: Split, opts: BatchOptions): Generator<Batch, void, undefined> {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const order = batchOrder(split.count, opts);
  const end = opts.dropRemainder ? split.count - (split.count % batchSize) : split.count;
  return generate(split, order.subarray(0, end), batchSize, opts.labels ?? 'onehot');
}

function* generate(split: Split, order: Uint32Array, batchSize: number, labels: 'onehot' | 'int'): Generator<Batch, void, undefined> {
  const px = IMAGE_SIZE * IMAGE_SIZE;
  for (let start = 0; start < order.length; start += batchSize) {
    const indices = order.slice(start, start + batchSize);
    const b = indices.length;
    const xs = new Float32Array(b * px);
    for (let k = 0; k < b; k++) normalize(split.images.subarray(indices[k] * px, (indices[k] + 1) * px), xs.subarray(k * px, (k + 1) * px));
    yield { xs: tf.tensor4d(xs, [b, IMAGE_SIZE, IMAGE_SIZE, 1], 'float32'), ys: labelTensor(split.labels, indices, labels), indices };
  }
}

function labelTensor(labels: Uint8Array, indices: Uint32Array, kind: 'onehot' | 'int'): tf.Tensor {
  if (kind === 'int') return tf.tensor1d(Int32Array.from(indices, (i) => labels[i]), 'int32');
  const oneHot = new Float32Array(indices.length * NUM_CLASSES);
  indices.forEach((i, k) => { oneHot[k * NUM_CLASSES + labels[i]] = 1; });
  return tf.tensor2d(oneHot, [indices.length, NUM_CLASSES], 'float32');
}
