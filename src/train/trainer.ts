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
import { saveModel } from '../node/model_files.js';
import type { NodeBackendName } from '../node/backend.js';
import { countMacs } from '../models/flops.js';
import type { ModelFactoryOptions } from '../models/factory.js';
import { batchOrder } from '../data/batches.js';
import type { ModelName } from '../models/index.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { inspectActivations } from './inspect.js';
import type { EpochRecord, RunRecord } from './results.js';

/** A split of the data: images normalised, `[count, ...imageShape]` row-major, labels 0..classes−1. */
export interface ImageSplit {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  imageShape: [number, number, number];
}

export interface RunSettings {
  model: ModelName;
  activation: string;
  widthMultiplier?: number;
  repeats?: number[];
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  momentum: number;
  weightDecay: number;
  labelSmoothing: number;
  workers: number;
  backend?: NodeBackendName;
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
  /** Continue from the checkpoint if there is one for the same settings. */
  resume?: boolean;
  /** Where to save the trained model (model.json + weights.bin). */
  modelDir?: string;
  /** Stop after this many epochs in this call (the rest can be resumed); for tests of resume. */
  stopAfterEpochs?: number;
  onStep?(p: StepProgress): void;
  onEpoch?(r: EpochRecord): void;
  log?(msg: string): void;
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

/** Mean cross-entropy (no smoothing) and error of the model in inference mode on the first `limit` images. */
export function evaluate(
  model: { predict(x: tf.Tensor): tf.Tensor | tf.Tensor[] },
  split: ImageSplit,
  limit = split.count,
): { loss: number; error: number } {
  let lossSum = 0,
    wrong = 0;
  const n = Math.min(limit, split.count);
  for (let start = 0; start < n; start += EVAL_BATCH) {
    const idx = Array.from({ length: Math.min(EVAL_BATCH, n - start) }, (_, k) => start + k);
    const [l, w] = tf.tidy(() => {
      const { x, y } = gather(split, idx);
      const logits = model.predict(x) as tf.Tensor2D;
      const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(y, logits.shape[1]), logits, undefined, 0, tf.Reduction.SUM);
      const wrong = tf.sum(tf.cast(tf.notEqual(tf.argMax(logits, 1), y), 'float32'));
      return [ce.dataSync()[0], wrong.dataSync()[0]];
    });
    lossSum += l;
    wrong += w;
  }
  return { loss: lossSum / n, error: wrong / n };
}

/** A string that changes whenever anything that shapes the run's numbers changes (not the backend). */
export function runKey(s: RunSettings, data: { train: ImageSplit; test: ImageSplit }): string {
  const {
    model,
    activation,
    widthMultiplier,
    repeats,
    seed,
    epochs,
    batchSize,
    learningRate,
    momentum,
    weightDecay,
    labelSmoothing,
    workers,
  } = s;
  return JSON.stringify({
    model,
    activation,
    widthMultiplier,
    repeats,
    seed,
    epochs,
    batchSize,
    learningRate,
    momentum,
    weightDecay,
    labelSmoothing,
    workers,
    train: data.train.count,
    test: data.test.count,
  });
}

export async function trainRun(
  settings: RunSettings,
  data: { train: ImageSplit; test: ImageSplit },
  opts: RunOptions = {},
): Promise<RunRecord> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const { epochs, batchSize, seed } = settings;
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
    model: {
      module: new URL('../models/factory.js', import.meta.url),
      exportName: 'createModel',
      options: modelOptions as unknown as Json,
    },
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
  });
  try {
    const key = runKey(settings, data);
    let records: EpochRecord[] = [];
    let trainSeconds = 0,
      wallBefore = 0;
    if (opts.resume && opts.checkpointPath) {
      const ckpt = readCheckpoint(opts.checkpointPath);
      if (ckpt && ckpt.header.runKey === key) {
        trainer.restore(ckpt.arrays);
        records = ckpt.header.meta.records as EpochRecord[];
        trainSeconds = ckpt.header.meta.trainSeconds as number;
        wallBefore = ckpt.header.meta.wallSeconds as number;
        log(`resumed ${settings.activation} seed ${seed} after epoch ${ckpt.header.epoch} from ${opts.checkpointPath}`);
      } else if (ckpt) {
        log(`not resuming from ${opts.checkpointPath}: it was written for other settings`);
      }
    }
    const wallStart = performance.now();
    const lastEpoch = Math.min(epochs, records.length + (opts.stopAfterEpochs ?? epochs));
    for (let epoch = records.length; epoch < lastEpoch; epoch++) {
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
        if (!Number.isFinite(loss))
          throw new Error(`${settings.activation} seed ${seed}: training diverged (loss ${loss}) at epoch ${epoch + 1} step ${step + 1}`);
        lossSum += loss;
        const elapsed = (performance.now() - t0) / 1000;
        opts.onStep?.({ epoch: epoch + 1, epochs, step: step + 1, stepsPerEpoch, loss, imagesPerSec: ((step + 1) * batchSize) / elapsed });
      }
      const seconds = (performance.now() - t0) / 1000;
      trainSeconds += seconds;
      const model = trainer.getModel();
      const test = evaluate(model, data.test);
      const train = evaluate(model, data.train, data.test.count);
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
