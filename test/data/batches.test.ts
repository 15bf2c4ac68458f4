import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { batches, batchOrder } from '../../src/data/batches.js';
import { normalize, type Split } from '../../src/data/dataset.js';
import { tinyImages } from './fixtures.js';

const { pixels, labels } = tinyImages(23);
const split: Split = { images: pixels, labels, count: 23 };

describe('batches', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('yields NHWC float32 images, normalised, and one-hot labels', () => {
    const got = [...batches(split, { batchSize: 10, seed: 1 })];
    assert.deepEqual(got.map((b) => b.xs.shape), [[10, 28, 28, 1], [10, 28, 28, 1], [3, 28, 28, 1]]);
    const b = got[0];
    assert.equal(b.xs.dtype, 'float32');
    assert.deepEqual(b.ys.shape, [10, 10]);
    const i = b.indices[4];
    assert.deepEqual(b.xs.dataSync().subarray(4 * 784, 5 * 784), normalize(pixels.subarray(i * 784, (i + 1) * 784)));
    const oneHot = Array.from(b.ys.dataSync().subarray(40, 50));
    assert.deepEqual(oneHot, Array.from({ length: 10 }, (_, c) => (c === labels[i] ? 1 : 0)));
    const seen = got.flatMap((x) => [...x.indices]).sort((a, c) => a - c);
    assert.deepEqual(seen, Array.from({ length: 23 }, (_, k) => k), 'every item once');
    got.forEach((x) => tf.dispose([x.xs, x.ys]));
  });

  it('int labels, no shuffle, dropRemainder', () => {
    const got = [...batches(split, { batchSize: 10, shuffle: false, labels: 'int', dropRemainder: true })];
    assert.equal(got.length, 2);
    assert.equal(got[1].ys.dtype, 'int32');
    assert.deepEqual(Array.from(got[1].ys.dataSync()), Array.from(labels.subarray(10, 20)));
    assert.deepEqual(Array.from(got[1].indices), Array.from({ length: 10 }, (_, k) => 10 + k));
    got.forEach((x) => tf.dispose([x.xs, x.ys]));
  });

  it('the order depends only on seed and epoch', () => {
    assert.deepEqual(batchOrder(100, { seed: 7, epoch: 2 }), batchOrder(100, { seed: 7, epoch: 2 }));
    assert.notDeepEqual(batchOrder(100, { seed: 7, epoch: 2 }), batchOrder(100, { seed: 7, epoch: 3 }));
    assert.notDeepEqual(batchOrder(100, { seed: 7 }), batchOrder(100, { seed: 8 }));
    assert.deepEqual([...batchOrder(100, { seed: 7 })].sort((a, b) => a - b), Array.from({ length: 100 }, (_, k) => k));
  });

  it('leaks no tensors: only the batches the caller takes exist, and disposing them frees all', () => {
    const start = tf.memory().numTensors;
    for (const b of batches(split, { batchSize: 4, seed: 3 })) {
      assert.equal(tf.memory().numTensors, start + 2);
      tf.dispose([b.xs, b.ys]);
    }
    const it = batches(split, { batchSize: 4, seed: 3, labels: 'int' });
    const first = it.next();
    it.return();
    assert.ok(!first.done);
    tf.dispose([first.value.xs, first.value.ys]);
    assert.equal(tf.memory().numTensors, start);
  });

  it('rejects a bad batch size at once, not on the first next()', () => {
    assert.throws(() => batches(split, { batchSize: 0 }), /batchSize must be a positive integer, got 0/);
  });
});
