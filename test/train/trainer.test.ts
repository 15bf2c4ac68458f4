/**
 * The training run: the recipe's weight decay selection, checkpoint atomicity and damage reports,
 * and resume giving the same numbers as an uninterrupted run.
 */
import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSgdState, sgdStep } from '../../src/node/parallel/sgd.js';
import { readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';
import { trainRun, type ImageSplit, type RunSettings } from '../../src/train/trainer.js';
import { initNodeBackend } from '../../src/node/backend.js';
import { randomArray, rng } from '../helpers/random.js';

function syntheticSplit(count: number, seed: number): ImageSplit {
  const r = rng(seed);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  const images = randomArray(r, count * 28 * 28, 0.5);
  // Make the class visible: a bright square whose position depends on the label.
  for (let i = 0; i < count; i++)
    for (let k = 0; k < 16; k++) images[i * 784 + (labels[i] * 2 + Math.floor(k / 4)) * 28 + 4 + (k % 4) + labels[i]] += 2;
  return { images, labels, count, imageShape: [28, 28, 1] };
}

/** A ShuffleNetV2 0.5x (1,1,1) with Meta-ACON, batch 16, on one worker. */
function tinyShuffleNetRun(o: { seed: number; epochs: number }): RunSettings {
  return {
    model: 'shufflenet',
    activation: 'metaAconC',
    widthMultiplier: 0.5,
    repeats: [1, 1, 1],
    seed: o.seed,
    epochs: o.epochs,
    batchSize: 16,
    learningRate: 0.05,
    momentum: 0.9,
    weightDecay: 4e-5,
    labelSmoothing: 0.1,
    workers: 1,
  };
}
const quiet = { log: () => {} };

describe('training runs', () => {
  before(() => initNodeBackend({ backend: 'wasm', log: () => {} }));

  it('weight decay applies to the selected weights only (never ACON parameters or BN)', () => {
    const weights = [
      { name: 'conv/kernel', layerClass: 'Conv2D', shape: [2] },
      { name: 'act/p1', layerClass: 'AconC', shape: [2] },
      { name: 'bn/gamma', layerClass: 'BatchNormalization', shape: [1] },
    ];
    const sgd = createSgdState(
      { type: 'sgd', learningRate: 0.5, momentum: 0, weightDecay: 0.1, decayWeights: (w) => w.layerClass === 'Conv2D' },
      weights,
    );
    const p = Float32Array.from([1, 2, 1, 2, 1]);
    sgdStep(sgd, p, [new Float32Array(5)], [1], 0.5);
    assert.deepEqual(Array.from(p), [Math.fround(1 - 0.05), Math.fround(2 - 0.1), 1, 2, 1]);
  });

  it('a checkpoint round-trips; a damaged one is reported with the file name; the writer leaves no temp file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'acon-ckpt-'));
    const path = join(dir, 'run.ckpt');
    const arrays = { params: Float32Array.from([1, 2, 3]), state: new Float32Array(0), velocity: Float32Array.from([0.5]) };
    writeCheckpoint(path, { header: { version: 1, runKey: 'k', epoch: 2, meta: { records: [1] } }, arrays });
    const back = readCheckpoint(path)!;
    assert.equal(back.header.epoch, 2);
    assert.deepEqual(back.header.meta, { records: [1] });
    assert.deepEqual(Object.fromEntries(Object.entries(back.arrays).map(([k, v]) => [k, Array.from(v)])), {
      params: [1, 2, 3],
      state: [],
      velocity: [0.5],
    });
    assert.deepEqual(readdirSync(dir), ['run.ckpt']);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 2));
    assert.throws(
      () => readCheckpoint(path),
      new RegExp(`checkpoint ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: truncated: array 'velocity'`),
    );
    writeFileSync(path, 'hello world, not a checkpoint');
    assert.throws(() => readCheckpoint(path), /not an acon checkpoint \(bad magic\)/);
    assert.equal(readCheckpoint(join(dir, 'absent.ckpt')), undefined);
  });

  it('a writer killed mid-write leaves the previous checkpoint readable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acon-kill-'));
    const path = join(dir, 'run.ckpt');
    writeCheckpoint(path, { header: { version: 1, runKey: 'old', epoch: 1, meta: {} }, arrays: { params: Float32Array.from([7]) } });
    // A child that writes a large checkpoint and is killed while doing so, many times.
    const script = join(dir, 'writer.ts');
    writeFileSync(
      script,
      `import { writeCheckpoint } from ${JSON.stringify(new URL('../../src/train/checkpoint.ts', import.meta.url).pathname)};
      process.send?.('ready');
      for (;;) writeCheckpoint(${JSON.stringify(path)}, { header: { version: 1, runKey: 'new', epoch: 2, meta: {} }, arrays: { params: new Float32Array(4_000_000).fill(3) } });`,
    );
    for (let trial = 0; trial < 3; trial++) {
      const child = fork(script, { execArgv: ['--import', 'tsx'], stdio: 'ignore' });
      await new Promise((r) => child.once('message', r));
      await new Promise((r) => setTimeout(r, 150 + 100 * trial));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const ckpt = readCheckpoint(path)!;
      assert.ok(['old', 'new'].includes(ckpt.header.runKey));
      assert.equal(ckpt.arrays.params[0], ckpt.header.runKey === 'old' ? 7 : 3);
    }
    assert.ok(existsSync(path));
  });

  it('resuming after an interruption gives exactly the results of an uninterrupted run', async () => {
    const data = { train: syntheticSplit(64, 1), test: syntheticSplit(20, 2) };
    const settings = tinyShuffleNetRun({ seed: 3, epochs: 3 });
    const straight = await trainRun(settings, data, quiet);
    const dir = mkdtempSync(join(tmpdir(), 'acon-resume-'));
    const checkpointPath = join(dir, 'run.ckpt');
    const partial = await trainRun(settings, data, { ...quiet, checkpointPath, stopAfterEpochs: 1 });
    assert.equal(partial.epochs.length, 1);
    assert.equal(readCheckpoint(checkpointPath)!.header.epoch, 1);
    const resumed = await trainRun(settings, data, { ...quiet, checkpointPath, resume: true });
    assert.equal(resumed.epochs.length, 3);
    const numbers = (r: typeof straight) => r.epochs.map((e) => [e.trainLoss, e.testLoss, e.testError, e.trainError]);
    assert.deepEqual(numbers(resumed), numbers(straight));
    assert.deepEqual(resumed.layers, straight.layers);
    assert.ok(straight.epochs[2].trainLoss < straight.epochs[0].trainLoss, `loss falls: ${numbers(straight).map((e) => e[0])}`);
  });

  it('2 workers train the ShuffleNetV2 with Meta-ACON like 1 (synchronised batch norm)', async () => {
    const data = { train: syntheticSplit(48, 4), test: syntheticSplit(20, 5) };
    const settings = tinyShuffleNetRun({ seed: 2, epochs: 1 });
    const one = await trainRun(settings, data, quiet);
    const two = await trainRun({ ...settings, workers: 2 }, data, quiet);
    const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-6 + 1e-4 * Math.abs(b), `${what}: ${a} vs ${b}`);
    close(two.epochs[0].trainLoss, one.epochs[0].trainLoss, 'train loss');
    close(two.epochs[0].testLoss, one.epochs[0].testLoss, 'test loss');
    assert.equal(two.layers.length, one.layers.length);
    two.layers.forEach((l, i) =>
      (['p1', 'p2'] as const).forEach((k) => l[k].forEach((v, j) => close(v, one.layers[i][k][j], `layer ${i} ${k}[${j}]`))),
    );
  });
});
