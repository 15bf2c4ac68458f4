import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initNodeBackend } from '../../src/node/backend.js';
import { evaluateBatch, type EvalBatch } from '../../src/node/parallel/evaluate.js';
import { DataParallelTrainer, WorkerError, WorkerPool, type DataParallelTrainerOptions, type Json } from '../../src/node/parallel/index.js';

const FIXTURES = new URL('./fixtures/parallel_models.ts', import.meta.url);
const quiet = () => {};

/** Deterministic rows in [−1, 1) of `[n, ...shape]` and class labels. */
function rows(seed: number, n: number, shape: number[], classes: number): EvalBatch {
  let s = seed >>> 0;
  const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const size = n * shape.reduce((a, b) => a * b, 1);
  return {
    x: Float32Array.from({ length: size }, () => 2 * rand() - 1),
    labels: Int32Array.from({ length: n }, () => Math.floor(rand() * classes)),
  };
}

const options = (exportName: string, modelOptions: Json, workers: number, pool?: WorkerPool): DataParallelTrainerOptions => ({
  model: { module: FIXTURES, exportName, options: modelOptions },
  optimizer: { type: 'sgd', learningRate: 0.1, momentum: 0.9 },
  workers,
  backend: 'cpu',
  log: quiet,
  pool,
});
const conv = { exportName: 'syncBnConvNet', options: { seed: 2, classes: 3 }, shape: [6, 6, 2], classes: 3 };
const dense = { exportName: 'mlp', options: { inputs: 8, hidden: 16, classes: 4, seed: 3 }, shape: [8], classes: 4 };

/** Trains 3 steps on batches of 7 rows; the losses, then each of 5 evaluation batches' sums (on every replica). */
async function trainAndEvaluate(net: typeof conv, workers: number, pool?: WorkerPool) {
  const trainer = await DataParallelTrainer.create(options(net.exportName, net.options, workers, pool));
  try {
    const losses: number[] = [];
    for (let t = 0; t < 3; t++) {
      const b = rows(t + 1, 7, net.shape, net.classes);
      const x = tf.tensor(b.x, [7, ...net.shape]),
        y = tf.tensor1d(b.labels, 'int32');
      losses.push(await trainer.step(x, y, { learningRate: 0.1 }));
      tf.dispose([x, y]);
    }
    const batches = [5, 4, 5, 3, 1].map((n, k) => rows(100 + k, n, net.shape, net.classes));
    const sums = await trainer.evaluate(batches);
    const model = trainer.getModel();
    const here = batches.map((b) => evaluateBatch(model, net.shape, b));
    return { losses, sums, here };
  } finally {
    await trainer.dispose();
  }
}

describe('DataParallelTrainer.evaluate and WorkerPool', () => {
  before(async () => {
    await initNodeBackend({ backend: 'cpu', log: quiet });
  });

  test('evaluate() on 2 replicas gives each batch the sums of the calling thread, bit for bit, in batch order (synchronised batch norm, MetaAconC)', async () => {
    const { sums, here } = await trainAndEvaluate(conv, 2);
    assert.deepEqual(sums, here);
    assert.ok(sums.every((s) => s.lossSum > 0 && Number.isInteger(s.wrong)));
    // The same numbers as a single replica after the same steps.
    const single = await trainAndEvaluate(conv, 1);
    assert.deepEqual(
      single.sums.map((s) => s.wrong),
      sums.map((s) => s.wrong),
    );
  });

  test('trainers one after the other with one pool reuse its worker thread and train bit for bit as with their own workers', async () => {
    const pool = new WorkerPool(quiet);
    try {
      pool.prestart(1, true);
      const [thread] = pool.threadIds();
      assert.equal(typeof thread, 'number');
      const pooled = [await trainAndEvaluate(conv, 2, pool), await trainAndEvaluate(dense, 2, pool), await trainAndEvaluate(conv, 2, pool)];
      assert.deepEqual(pool.threadIds(), [thread]);
      const own = [await trainAndEvaluate(conv, 2), await trainAndEvaluate(dense, 2)];
      assert.deepEqual(pooled[0], own[0]);
      assert.deepEqual(pooled[1], own[1]);
      assert.deepEqual(pooled[2], own[0]);
    } finally {
      await pool.dispose();
    }
    assert.deepEqual(pool.threadIds(), []);
    assert.throws(() => pool.prestart(1, true), /WorkerPool used after dispose/);
  });

  test("a pooled worker whose build fails is dropped: create() rejects with the factory's error, the next trainer gets a new worker", async () => {
    const pool = new WorkerPool(quiet);
    try {
      pool.prestart(1, true);
      const [first] = pool.threadIds();
      await assert.rejects(
        DataParallelTrainer.create(options('failing', { at: 'build' }, 2, pool)),
        (e: Error) => e instanceof WorkerError && /factory refused to build/.test(e.message),
      );
      assert.deepEqual(pool.threadIds(), [undefined]);
      const again = await trainAndEvaluate(dense, 2, pool);
      assert.deepEqual(again.sums, again.here);
      const [second] = pool.threadIds();
      assert.ok(second !== undefined && second !== first);
    } finally {
      await pool.dispose();
    }
  });

  test('a pooled worker that exits mid-step is replaced for the next trainer', async () => {
    const pool = new WorkerPool(quiet);
    try {
      const trainer = await DataParallelTrainer.create(options('failing', { at: 'exit' }, 2, pool));
      const b = rows(1, 4, [4], 3);
      const x = tf.tensor(b.x, [4, 4]),
        y = tf.tensor1d(b.labels, 'int32');
      await assert.rejects(trainer.step(x, y), /exited unexpectedly \(code 7\)/);
      await assert.rejects(trainer.evaluate([b]), /exited unexpectedly \(code 7\)/);
      tf.dispose([x, y]);
      await trainer.dispose();
      assert.deepEqual(pool.threadIds(), [undefined]);
      const again = await trainAndEvaluate(dense, 2, pool);
      assert.deepEqual(again.sums, again.here);
    } finally {
      await pool.dispose();
    }
  });

  after(() => tf.disposeVariables());
});
