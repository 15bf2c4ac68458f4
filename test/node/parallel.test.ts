import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { initNodeBackend, type NodeBackendName } from '../../src/node/backend.js';
import { DataParallelTrainer, WorkerError, type DataParallelTrainerOptions, type Json } from '../../src/node/parallel/index.js';
import { lossFunction, type LossSpec } from '../../src/node/parallel/loss.js';
import { assertClose } from '../helpers/assert_close.js';
import { mlp } from './fixtures/parallel_models.js';

const FIXTURES = new URL('./fixtures/parallel_models.ts', import.meta.url);
const quiet = () => {};

/** Deterministic batch: x uniform in [−1, 1) of shape [n, ...shape], y class indices. */
function batch(seed: number, n: number, shape: number[], classes: number): { x: tf.Tensor; y: tf.Tensor1D } {
  let s = seed >>> 0;
  const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const size = n * shape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(
    Float32Array.from({ length: size }, () => 2 * rand() - 1),
    [n, ...shape],
  );
  const y = tf.tensor1d(
    Int32Array.from({ length: n }, () => Math.floor(rand() * classes)),
    'int32',
  );
  return { x, y };
}

interface Run {
  losses: number[];
  weights: Float32Array[];
}

/** Trains `steps` steps (batch seeds 1.., learning rate 0.2/(1+t)) and returns losses and final weights. */
async function train(opts: {
  workers: number;
  backend?: NodeBackendName;
  exportName: string;
  options: Json;
  loss?: LossSpec;
  nesterov?: boolean;
  decayKernels?: boolean;
  steps: number;
  n: number;
  shape: number[];
  classes: number;
}): Promise<Run> {
  const decay = opts.decayKernels ? { weightDecay: 0.05, decayWeights: (w: { name: string }) => w.name.endsWith('kernel') } : {};
  const trainer = await DataParallelTrainer.create({
    model: { module: FIXTURES, exportName: opts.exportName, options: opts.options },
    optimizer: { type: 'sgd', learningRate: 0.2, momentum: 0.9, nesterov: opts.nesterov, ...decay },
    loss: opts.loss,
    workers: opts.workers,
    backend: opts.backend,
    log: quiet,
  });
  try {
    const losses: number[] = [];
    for (let t = 0; t < opts.steps; t++) {
      const { x, y } = batch(t + 1, opts.n, opts.shape, opts.classes);
      losses.push(await trainer.step(x, y, { learningRate: 0.2 / (1 + t) }));
      tf.dispose([x, y]);
    }
    return {
      losses,
      weights: trainer
        .getModel()
        .getWeights()
        .map((w) => w.dataSync() as Float32Array),
    };
  } finally {
    await trainer.dispose();
  }
}

/** Weights agree to rtol relative to themselves, or to 1e-6 absolutely (weights whose gradient is 0 in exact arithmetic only drift by rounding). */
function assertSameRun(actual: Run, expected: Run, what: string, rtol = 1e-4): void {
  assertClose(actual.losses, expected.losses, `${what} losses`, { rtol });
  assert.equal(actual.weights.length, expected.weights.length);
  actual.weights.forEach((w, i) => assertClose(w, expected.weights[i], `${what} weight ${i}`, { rtol, atolRel: rtol, atol: 1e-6 }));
}

describe('DataParallelTrainer', () => {
  before(async () => {
    await initNodeBackend({ backend: 'cpu', log: quiet });
  });

  const syncBn = { exportName: 'syncBnConvNet', options: { seed: 2, classes: 3 }, shape: [6, 6, 2], classes: 3, steps: 4 };
  const dense = { exportName: 'mlp', options: { inputs: 8, hidden: 16, classes: 4, seed: 3, l2: 0.01 }, shape: [8], classes: 4 };

  test('workers: 1 equals plain tfjs training (tf.train.momentum, label smoothing, L2)', async () => {
    const loss: LossSpec = { type: 'softmaxCrossEntropy', labelSmoothing: 0.1 };
    const ours = await train({ ...dense, workers: 1, loss, nesterov: true, steps: 4, n: 9 });
    const model: tfl.LayersModel = mlp(dense.options);
    const lossFn = lossFunction(loss);
    const losses: number[] = [];
    const optimizer = tf.train.momentum(0.2, 0.9, true);
    for (let t = 0; t < 4; t++) {
      const { x, y } = batch(t + 1, 9, dense.shape, dense.classes);
      optimizer.setLearningRate(0.2 / (1 + t));
      const value = optimizer.minimize(
        () => {
          const logits = model.apply(x, { training: true }) as tf.Tensor;
          return model
            .calculateLosses()
            .reduce((l: tf.Scalar, r) => tf.add(l, r), lossFn(tf.oneHot(y, dense.classes) as tf.Tensor2D, logits));
        },
        true,
        model.trainableWeights.map((w) => w.read() as tf.Variable),
      )!;
      losses.push(value.dataSync()[0]);
      tf.dispose([x, y, value]);
    }
    assertSameRun(ours, { losses, weights: model.getWeights().map((w) => w.dataSync() as Float32Array) }, 'workers: 1 vs tfjs', 1e-5);
    model.dispose();
    optimizer.dispose();
  });

  test('2 and 3 workers equal 1 worker: dense model, uneven shards (5 + 4, 4 + 3 + 3 rows), Nesterov, selective weight decay', async () => {
    const loss: LossSpec = { type: 'softmaxCrossEntropy', labelSmoothing: 0.1 };
    const setting = { ...dense, loss, nesterov: true, decayKernels: true, steps: 5 };
    const one = await train({ ...setting, workers: 1, n: 9 });
    const two = await train({ ...setting, workers: 2, backend: 'cpu', n: 9 });
    assertSameRun(two, one, '2 workers');
    assert.ok(one.losses[4] < one.losses[0], `loss should fall: ${one.losses}`);
    assertSameRun(
      await train({ ...setting, workers: 3, backend: 'cpu', n: 10 }),
      await train({ ...setting, workers: 1, n: 10 }),
      '3 workers',
    );
    // The decay matters here (so the equalities above check that every replica's slice of the update applies it).
    const undecayed = await train({ ...setting, decayKernels: false, workers: 1, n: 9 });
    const gap = Math.max(...undecayed.weights[2].map((w, j) => Math.abs(w - one.weights[2][j])));
    assert.ok(gap > 1e-3, `without decay the second kernel differs by ${gap}`);
  });

  test('2 workers equal 1 worker: tiny conv model', async () => {
    const conv = { exportName: 'tinyConv', options: { seed: 5 }, shape: [6, 6, 1], classes: 3, steps: 3, n: 8 };
    const one = await train({ ...conv, workers: 1 });
    const two = await train({ ...conv, workers: 2, backend: 'cpu' });
    assertSameRun(two, one, 'tiny conv, 2 workers');
  });

  test('workers on wasm match the cpu run', async () => {
    const one = await train({ ...dense, workers: 1, steps: 3, n: 8 });
    const two = await train({ ...dense, workers: 2, backend: 'wasm', steps: 3, n: 8 });
    assertSameRun(two, one, '2 wasm workers vs cpu');
  });

  test('tfjs BatchNormalization (not synchronised): a warning; moving mean is the full-batch one, moving variance averages the shard variances', async () => {
    const options = { inputs: 5, classes: 3, seed: 11 },
      n = 9,
      mu = 0.5;
    const { x, y } = batch(7, n, [5], 3);
    const lines: string[] = [];
    const movingStats = async (workers: number) => {
      const trainer = await DataParallelTrainer.create({
        model: { module: FIXTURES, exportName: 'bnNet', options },
        optimizer: { type: 'sgd', learningRate: 0.1 },
        workers,
        backend: 'cpu',
        log: (l) => lines.push(l),
      });
      const h = tf.tidy(() => trainer.getModel().layers[0].apply(x) as tf.Tensor2D); // pre-BN activations at the initial weights
      await trainer.step(x, y);
      const [, , mean, variance] = trainer
        .getModel()
        .layers[1].getWeights()
        .map((w) => w.dataSync());
      await trainer.dispose();
      return { h, mean, variance };
    };
    const one = await movingStats(1),
      two = await movingStats(2);
    assert.ok(
      lines.some((l) => /tfjs BatchNormalization layers, which normalise each replica's shard separately/.test(l)),
      'the trainer warns about unsynchronised BN',
    );
    assertClose(two.mean, one.mean, 'moving mean', { rtol: 1e-5 });
    // Initial moving variance 1: v = μ·1 + (1 − μ)·Σ_k (n_k/N)·var_k over shards of 5 and 4 rows.
    const shardVar = (rows: tf.Tensor2D) => tf.moments(rows, 0).variance;
    const expected = tf.tidy(() =>
      tf.add(mu, tf.mul(1 - mu, tf.addN([tf.mul(5 / n, shardVar(tf.slice(one.h, 0, 5))), tf.mul(4 / n, shardVar(tf.slice(one.h, 5, 4)))]))),
    );
    assertClose(two.variance, expected.dataSync(), 'moving variance', { rtol: 1e-5 });
    tf.dispose([x, y, one.h, two.h, expected]);
  });

  test('no tensor leak across 100 steps on the calling thread (class-index and one-hot labels; 1 and 2 replicas)', async () => {
    for (const workers of [1, 2]) {
      const trainer = await DataParallelTrainer.create({
        model: { module: FIXTURES, exportName: 'syncBnConvNet', options: syncBn.options },
        optimizer: { type: 'sgd', learningRate: 0.1 },
        workers,
        backend: 'cpu',
        log: quiet,
      });
      const { x, y } = batch(1, 6, syncBn.shape, syncBn.classes);
      const oneHot = tf.oneHot(y, syncBn.classes);
      await trainer.step(x, y);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 100; i++) await trainer.step(x, i % 2 ? y : oneHot);
      assert.equal(tf.memory().numTensors, before, `${workers} replica(s)`);
      await trainer.dispose();
      tf.dispose([x, y, oneHot]);
    }
  });

  test('synchronised batch norm: 2 workers equal 1 worker (conv, depthwise, MetaAconC; shards of 4 + 3 rows)', async () => {
    const one = await train({ ...syncBn, workers: 1, n: 7 });
    const two = await train({ ...syncBn, workers: 2, backend: 'cpu', n: 7 });
    assertSameRun(two, one, 'sync BN, 2 workers');
    // Per-shard statistics would differ by far more than float32 rounding: the check can fail.
    const moments = (x: tf.Tensor) => tf.moments(x, [0, 1, 2]);
    const { x } = batch(1, 7, syncBn.shape, syncBn.classes);
    const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(moments(tf.slice(x, 0, 4)).mean, moments(x).mean))).dataSync()[0]);
    assert.ok(gap > 1e-2, `shard and batch means should differ, gap ${gap}`);
    tf.dispose(x);
  });

  test('synchronised batch norm on wasm workers matches the cpu run; a shard of 1 row is fine when the batch has more', async () => {
    const one = await train({ ...syncBn, workers: 1, n: 3 });
    const two = await train({ ...syncBn, workers: 2, backend: 'wasm', n: 3 });
    assertSameRun(two, one, 'sync BN, 2 wasm workers (2 + 1 rows)');
  });

  /**
   * With 2 replicas of `failingBeforeSyncBn` (options), a step on 5 rows (shards of 3 + 2) rejects
   * as `expected` says and leaves the weights unchanged; a step on `goodRows` rows then works.
   */
  async function failThenRecover(options: Json, goodRows: number, expected: (e: Error) => boolean): Promise<void> {
    const trainer = await DataParallelTrainer.create({
      model: { module: FIXTURES, exportName: 'failingBeforeSyncBn', options },
      optimizer: { type: 'sgd', learningRate: 0.1 },
      workers: 2,
      backend: 'cpu',
      log: quiet,
    });
    const bad = batch(1, 5, [4], 3),
      good = batch(2, goodRows, [4], 3);
    const before = trainer.snapshot().params;
    await assert.rejects(trainer.step(bad.x, bad.y), expected);
    assert.deepEqual(trainer.snapshot().params, before, 'a failed step leaves the weights unchanged');
    assert.ok(Number.isFinite(await trainer.step(good.x, good.y)), 'the trainer works again after the failed step');
    await trainer.dispose();
    tf.dispose([bad.x, bad.y, good.x, good.y]);
  }

  test('a worker failing before a batch-norm barrier releases the others: the step rejects with its error', async () => {
    await failThenRecover({ rows: 2 }, 6, (e) => e instanceof WorkerError && /sabotaged forward pass/.test(e.message));
  });

  test('the calling thread failing before a batch-norm barrier releases the workers: the step rejects with its error', async () => {
    await failThenRecover(
      { rows: 3, onMainThread: true },
      4,
      (e) => !(e instanceof WorkerError) && /sabotaged forward pass/.test(e.message),
    );
  });

  test('a worker that exits before a batch-norm barrier releases the calling thread waiting there', async () => {
    const trainer = await DataParallelTrainer.create({
      model: { module: FIXTURES, exportName: 'failingBeforeSyncBn', options: { rows: 2, exit: true } },
      optimizer: { type: 'sgd', learningRate: 0.1 },
      workers: 2,
      backend: 'cpu',
      log: quiet,
    });
    const { x, y } = batch(1, 5, [4], 3);
    const t0 = performance.now();
    await assert.rejects(trainer.step(x, y), /exited unexpectedly \(code 7\)/);
    assert.ok(performance.now() - t0 < 10_000, 'released by the exit, not by the 60 s barrier timeout');
    await trainer.dispose();
    tf.dispose([x, y]);
  });

  const failing = (at: string): DataParallelTrainerOptions => ({
    model: { module: FIXTURES, exportName: 'failing', options: { at } },
    optimizer: { type: 'sgd', learningRate: 0.1 },
    workers: 2,
    backend: 'cpu',
    log: quiet,
  });

  test('a factory error in a worker rejects create() with its message', async () => {
    await assert.rejects(
      DataParallelTrainer.create(failing('build')),
      (e: Error) => e instanceof WorkerError && /factory refused to build/.test(e.message),
    );
    await assert.rejects(
      DataParallelTrainer.create({ ...failing('build'), model: { module: FIXTURES, exportName: 'nope' } }),
      /has no function export 'nope'/,
    );
  });

  test('an error thrown in a worker step rejects step() with its message', async () => {
    const trainer = await DataParallelTrainer.create(failing('throw'));
    const { x, y } = batch(1, 4, [4], 3);
    await assert.rejects(
      trainer.step(x, y),
      (e: Error) => e instanceof WorkerError && /sabotaged forward pass/.test(e.message) && !!e.workerStack,
    );
    await trainer.dispose();
    tf.dispose([x, y]);
  });

  test('a worker that exits rejects the step and every later one instead of hanging', async () => {
    const trainer = await DataParallelTrainer.create(failing('exit'));
    const { x, y } = batch(1, 4, [4], 3);
    await assert.rejects(trainer.step(x, y), /exited unexpectedly \(code 7\)/);
    await assert.rejects(trainer.step(x, y), /exited unexpectedly \(code 7\)/);
    await trainer.dispose();
    await assert.rejects(trainer.step(x, y), /after dispose/);
    tf.dispose([x, y]);
  });

  test('bad shapes are rejected before any worker runs', async () => {
    const trainer = await DataParallelTrainer.create({
      model: { module: FIXTURES, exportName: 'mlp', options: dense.options },
      optimizer: { type: 'sgd', learningRate: 0.1 },
      workers: 1,
      log: quiet,
    });
    const { x, y } = batch(1, 4, [7], 4);
    await assert.rejects(trainer.step(x, y), /expected x of shape \[N ≥ 1, 8\], got \[4,7\]/);
    await trainer.dispose();
    tf.dispose([x, y]);
  });
});
