/**
 * One training run (one activation, one seed) after the official recipe: SGD with momentum 0.9,
 * learning rate decayed linearly to 0 over all steps, optional label smoothing, weight decay on
 * conv and dense kernels only (not on ACON parameters p1, p2, β, nor on BN or biases).
 * Checkpoints are written atomically after every epoch; `resume` continues from the last complete
 * epoch and gives the same result as an uninterrupted run (data order depends only on seed and epoch,
 * `batchOrder`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { DataParallelTrainer, type Json } from '../node/parallel/index.js';
import { evaluateBatch, type EvalBatch, type EvalSums, type Predictor } from '../node/parallel/evaluate.js';
import { isTypeScriptModule, resolveModelSpec } from '../node/parallel/model_spec.js';
import { WorkerPool } from '../node/parallel/worker_pool.js';
import { saveModel } from '../node/model_files.js';
import type { NodeBackendName } from '../node/backend.js';
import { countMacs } from '../models/flops.js';
import type { ModelFactoryOptions } from '../models/factory.js';
import { batchOrder } from '../data/batches.js';
import type { ModelName } from '../models/index.js';
import { readCheckpoint, readCheckpointHeader, writeCheckpoint } from './checkpoint.js';
import { inspectActivations } from './inspect.js';
import {
  SETTING_NAMES,
  settingsDifferences,
  type DataRecord,
  type EpochRecord,
  type RunRecord,
  type TrainingSettings,
} from '../results/schema.js';

/** A split of the data: images normalised, `[count, ...imageShape]` row-major, labels 0..classes−1. */
export interface ImageSplit {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  imageShape: [number, number, number];
}

/** One run's settings: the recorded training settings, the activation and seed, and how to execute it. */
export interface RunSettings extends TrainingSettings {
  model: ModelName;
  activation: string;
  seed: number;
  /** Data-parallel replicas; does not change the numbers (see DataParallelTrainer). */
  workers: number;
  backend?: NodeBackendName;
}

/** The data a run trains on, with the fingerprint of its files when known (`DataRecord.sha256`). */
export interface RunData {
  train: ImageSplit;
  test: ImageSplit;
  sha256?: string;
}

export interface StepProgress {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
  imagesPerSec: number;
}

export interface RunOptions {
  /** Where this run's checkpoint lives; no checkpoints without it. */
  checkpointPath?: string;
  /** Continue from the checkpoint if there is one (it must be for the same settings). */
  resume?: boolean;
  /**
   * Start afresh over an existing checkpoint. Without it, a checkpoint that is not resumed (no
   * `resume`, or other settings) is an error naming it and what differs: it is never silently lost.
   */
  overwrite?: boolean;
  /** When aborted, the run stops after the current step with a `TrainingInterrupted` error. */
  signal?: AbortSignal;
  /** Where to save the trained model (model.json + weights.bin). */
  modelDir?: string;
  /** Stop after this many epochs in this call (the rest can be resumed); for tests of resume. */
  stopAfterEpochs?: number;
  /** Worker threads to train with (`startWorkerPool`), kept for the next run; default: the run starts its own. */
  pool?: WorkerPool;
  onStep?(p: StepProgress): void;
  onEpoch?(r: EpochRecord): void;
  log?(msg: string): void;
}

/** The factory every replica builds its model with. */
const MODEL_FACTORY = { module: new URL('../models/factory.js', import.meta.url), exportName: 'createModel' };

/**
 * The `workers − 1` worker threads of runs with `workers` replicas, spawned now so that they load
 * while the caller does other work; pass it to each `trainRun` (`RunOptions.pool`), one run after
 * the other, and `dispose()` it at the end.
 */
export function startWorkerPool(workers: number, log?: (msg: string) => void): WorkerPool {
  const pool = new WorkerPool(log);
  pool.prestart(workers - 1, isTypeScriptModule(resolveModelSpec(MODEL_FACTORY)));
  return pool;
}

const EVAL_BATCH = 500;
/** Test images whose generated β is recorded per sample (the paper's figure uses 7). */
const BETA_SAMPLES = 7;
/** Test images over which Meta-ACON's mean β per channel is taken. */
const BETA_MEAN_IMAGES = 500;
const KERNEL_LAYERS = new Set(['Conv2D', 'DepthwiseConv2D', 'Dense']);

function gather(split: ImageSplit, idx: ArrayLike<number>): { x: tf.Tensor; y: tf.Tensor } {
  const row = split.images.length / split.count;
  const xs = new Float32Array(idx.length * row),
    ys = new Int32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    xs.set(split.images.subarray(idx[k] * row, (idx[k] + 1) * row), k * row);
    ys[k] = split.labels[idx[k]];
  }
  return { x: tf.tensor(xs, [idx.length, ...split.imageShape]), y: tf.tensor1d(ys, 'int32') };
}

/** The first `limit` images of the split in batches of `EVAL_BATCH` (the last may be smaller). */
function evalBatches(split: ImageSplit, limit = split.count): EvalBatch[] {
  const row = split.images.length / split.count,
    n = Math.min(limit, split.count);
  const batches: EvalBatch[] = [];
  for (let start = 0; start < n; start += EVAL_BATCH) {
    const end = Math.min(n, start + EVAL_BATCH);
    batches.push({ x: split.images.slice(start * row, end * row), labels: Int32Array.from(split.labels.subarray(start, end)) });
  }
  return batches;
}

/** Mean cross-entropy (no smoothing) and error over batches that together hold `n` images, summed in batch order. */
function meanOf(sums: EvalSums[], n: number): { loss: number; error: number } {
  const total = sums.reduce((t, s) => ({ lossSum: t.lossSum + s.lossSum, wrong: t.wrong + s.wrong }), { lossSum: 0, wrong: 0 });
  return { loss: total.lossSum / n, error: total.wrong / n };
}

/** Mean cross-entropy (no smoothing) and error of the model in inference mode on the first `limit` images. */
export function evaluate(model: Predictor, split: ImageSplit, limit = split.count): { loss: number; error: number } {
  const batches = evalBatches(split, limit);
  return meanOf(
    batches.map((b) => evaluateBatch(model, split.imageShape, b)),
    Math.min(limit, split.count),
  );
}

/** What identifies a run's numbers: its training settings, activation, seed and data (not the backend or workers). */
export interface RunIdentity extends Partial<TrainingSettings> {
  activation: string;
  seed: number;
  data: Pick<DataRecord, 'trainCount' | 'testCount' | 'sha256'>;
}

export function runIdentity(s: RunSettings, data: RunData): RunIdentity {
  const settings = Object.fromEntries(SETTING_NAMES.map((k) => [k, s[k]]));
  return {
    ...settings,
    activation: s.activation,
    seed: s.seed,
    data: { trainCount: data.train.count, testCount: data.test.count, ...(data.sha256 ? { sha256: data.sha256 } : {}) },
  };
}

/** A string that changes whenever anything that shapes the run's numbers changes (not the backend, not the workers). */
export function runKey(s: RunSettings, data: RunData): string {
  return JSON.stringify(runIdentity(s, data));
}

/** A checkpoint's run key as an identity; keys of acon 0.1 (flat `train`/`test` counts, `workers`) are read too. */
function parseRunKey(key: string): Partial<RunIdentity> {
  try {
    const k = JSON.parse(key) as Partial<RunIdentity> & { train?: number; test?: number };
    return k.data ? k : { ...k, data: { trainCount: k.train!, testCount: k.test! } };
  } catch {
    return {};
  }
}

/** How the checkpoint written for `stored` differs from a run of `current`, e.g. `--lr 0.1 (was 0.05)`. */
export function identityDifferences(stored: Partial<RunIdentity>, current: RunIdentity): string[] {
  const diff = settingsDifferences(stored, current);
  if (stored.activation !== undefined && stored.activation !== current.activation)
    diff.unshift(`activation ${current.activation} (was ${stored.activation})`);
  if (stored.seed !== undefined && stored.seed !== current.seed) diff.unshift(`seed ${current.seed} (was ${stored.seed})`);
  return diff;
}

/** Thrown by `trainRun` when its `signal` aborts: the last checkpoint (if any) is intact. */
export class TrainingInterrupted extends Error {
  constructor(
    readonly activation: string,
    readonly seed: number,
    /** Epochs saved in the checkpoint. */
    readonly epochsSaved: number,
    readonly checkpointPath?: string,
  ) {
    super(
      `${activation} seed ${seed}: interrupted; ${epochsSaved} epoch${epochsSaved === 1 ? '' : 's'} saved${checkpointPath ? ` in ${checkpointPath}` : ''}`,
    );
  }
}

/**
 * What stands in the way of starting the run with this checkpoint path: `undefined` if nothing
 * (no checkpoint, a resumable one with `resume`, or `overwrite`), else the reason, naming the
 * checkpoint and what differs.
 */
export function checkpointConflict(
  path: string,
  identity: RunIdentity,
  opts: { resume?: boolean; overwrite?: boolean },
): string | undefined {
  if (opts.overwrite) return undefined;
  const header = readCheckpointHeader(path);
  if (!header) return undefined;
  const what = `${path} holds ${header.epoch} trained epoch${header.epoch === 1 ? '' : 's'}`;
  if (!opts.resume) return `${what}: pass --resume to continue it, or --overwrite to start again and lose it`;
  const stored = parseRunKey(header.runKey);
  if (header.runKey === JSON.stringify(identity)) return undefined;
  const diff = identityDifferences(stored, identity);
  if (diff.length === 0) return undefined;
  return `${what} of other settings: ${diff.join(', ')}; run with the same settings to resume, or pass --overwrite to start again and lose it`;
}

export async function trainRun(settings: RunSettings, data: RunData, opts: RunOptions = {}): Promise<RunRecord> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const { epochs, batchSize, seed } = settings;
  const conflict = opts.checkpointPath && checkpointConflict(opts.checkpointPath, runIdentity(settings, data), opts);
  if (conflict) throw new Error(conflict);
  if (!(Number.isInteger(batchSize) && batchSize >= 2))
    throw new Error(`batch size must be an integer ≥ 2 (BatchNorm needs 2 values), got ${batchSize}`);
  if (batchSize > data.train.count) throw new Error(`batch size ${batchSize} is larger than the ${data.train.count} training images`);
  const stepsPerEpoch = Math.floor(data.train.count / batchSize);
  const totalSteps = stepsPerEpoch * epochs;
  const modelOptions: ModelFactoryOptions = {
    model: settings.model,
    activation: settings.activation,
    seed,
    ...(settings.widthMultiplier !== undefined ? { widthMultiplier: settings.widthMultiplier } : {}),
    ...(settings.repeats ? { repeats: settings.repeats } : {}),
  };
  const trainer = await DataParallelTrainer.create({
    model: { ...MODEL_FACTORY, options: modelOptions as unknown as Json },
    optimizer: {
      type: 'sgd',
      learningRate: settings.learningRate,
      momentum: settings.momentum,
      weightDecay: settings.weightDecay,
      decayWeights: (w) => KERNEL_LAYERS.has(w.layerClass) && w.name.endsWith('kernel'),
    },
    loss: { type: 'softmaxCrossEntropy', labelSmoothing: settings.labelSmoothing },
    workers: settings.workers,
    backend: settings.backend,
    log,
    pool: opts.pool,
  });
  try {
    const key = runKey(settings, data);
    let records: EpochRecord[] = [];
    let trainSeconds = 0,
      wallBefore = 0;
    if (opts.resume && !opts.overwrite && opts.checkpointPath) {
      const ckpt = readCheckpoint(opts.checkpointPath);
      if (ckpt) {
        trainer.restore(ckpt.arrays);
        records = ckpt.header.meta.records as EpochRecord[];
        trainSeconds = ckpt.header.meta.trainSeconds as number;
        wallBefore = ckpt.header.meta.wallSeconds as number;
        log(`resumed ${settings.activation} seed ${seed} after epoch ${ckpt.header.epoch} from ${opts.checkpointPath}`);
      }
    }
    const wallStart = performance.now();
    const lastEpoch = Math.min(epochs, records.length + (opts.stopAfterEpochs ?? epochs));
    for (let epoch = records.length; epoch < lastEpoch; epoch++) {
      if (opts.signal?.aborted) throw new TrainingInterrupted(settings.activation, seed, records.length, opts.checkpointPath);
      const order = batchOrder(data.train.count, { seed, epoch });
      const t0 = performance.now();
      let lossSum = 0,
        lr = settings.learningRate;
      for (let step = 0; step < stepsPerEpoch; step++) {
        const global = epoch * stepsPerEpoch + step;
        lr = settings.learningRate * (1 - global / totalSteps);
        const { x, y } = gather(data.train, order.subarray(step * batchSize, (step + 1) * batchSize));
        const loss = await trainer.step(x, y, { learningRate: lr });
        tf.dispose([x, y]);
        if (opts.signal) {
          // Let the event loop deliver signals (Ctrl-C): a step on one thread only yields to microtasks.
          await new Promise((resolve) => setImmediate(resolve));
          if (opts.signal.aborted) throw new TrainingInterrupted(settings.activation, seed, records.length, opts.checkpointPath);
        }
        if (!Number.isFinite(loss))
          throw new Error(`${settings.activation} seed ${seed}: training diverged (loss ${loss}) at epoch ${epoch + 1} step ${step + 1}`);
        lossSum += loss;
        const elapsed = (performance.now() - t0) / 1000;
        opts.onStep?.({ epoch: epoch + 1, epochs, step: step + 1, stepsPerEpoch, loss, imagesPerSec: ((step + 1) * batchSize) / elapsed });
      }
      const seconds = (performance.now() - t0) / 1000;
      trainSeconds += seconds;
      // Both on every replica at once: the test set, and as many training images.
      const testBatches = evalBatches(data.test),
        trainBatches = evalBatches(data.train, data.test.count);
      const sums = await trainer.evaluate([...testBatches, ...trainBatches]);
      const test = meanOf(sums.slice(0, testBatches.length), data.test.count);
      const train = meanOf(sums.slice(testBatches.length), Math.min(data.test.count, data.train.count));
      const record: EpochRecord = {
        epoch: epoch + 1,
        trainLoss: lossSum / stepsPerEpoch,
        trainError: train.error,
        testLoss: test.loss,
        testError: test.error,
        lr,
        seconds,
        imagesPerSec: (stepsPerEpoch * batchSize) / seconds,
      };
      records.push(record);
      opts.onEpoch?.(record);
      if (opts.checkpointPath) {
        writeCheckpoint(opts.checkpointPath, {
          header: {
            version: 1,
            runKey: key,
            epoch: epoch + 1,
            meta: { records, trainSeconds, wallSeconds: wallBefore + (performance.now() - wallStart) / 1000 },
          },
          arrays: trainer.snapshot(),
        });
      }
    }
    const model = trainer.getModel();
    if (opts.modelDir && records.length === epochs) await saveModel(model, opts.modelDir);
    const sampleIdx = Array.from(batchOrder(data.test.count, { seed, epoch: -1 }).subarray(0, Math.min(BETA_MEAN_IMAGES, data.test.count)));
    const probe = gather(data.test, sampleIdx);
    const layers = inspectActivations(model, probe.x, BETA_SAMPLES);
    tf.dispose([probe.x, probe.y]);
    return {
      activation: settings.activation,
      seed,
      backend: tf.getBackend(),
      workers: settings.workers,
      epochs: records,
      finalTestError: records.length ? records[records.length - 1].testError : NaN,
      params: model.countParams(),
      flops: countMacs(model),
      wallSeconds: wallBefore + (performance.now() - wallStart) / 1000,
      imagesPerSec: trainSeconds > 0 ? (records.length * stepsPerEpoch * batchSize) / trainSeconds : 0,
      layers,
      betaSampleIndices: sampleIdx.slice(0, BETA_SAMPLES),
      ...(opts.modelDir && records.length === epochs ? { modelDir: opts.modelDir } : {}),
    };
  } finally {
    await trainer.dispose();
  }
}
