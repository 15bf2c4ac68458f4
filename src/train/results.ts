/**
 * `results.json`: what `acon compare` writes and what the report and the explorer read. Plain JSON,
 * versioned; `parseResults` checks it and names the first field that is wrong.
 */

/** One epoch of one run. Errors are fractions in [0, 1]. */
export interface EpochRecord {
  epoch: number;
  /** Mean training loss of the epoch's steps (with label smoothing, in training mode). */
  trainLoss: number;
  /** Error in inference mode on the first M training images, M = the test set's size. */
  trainError: number;
  testLoss: number;
  testError: number;
  /** Learning rate at the end of the epoch. */
  lr: number;
  seconds: number;
  imagesPerSec: number;
}

/**
 * The learned activation of one layer. For ACON-C, `beta` is the learned per-channel β; for
 * Meta-ACON, `beta` is the generated β averaged over the test samples (per channel), and
 * `betaPerSample` holds it for a few fixed random test samples. ReLU/Swish layers are not listed.
 */
export interface ActivationLayerRecord {
  /** Layer name in the model, e.g. `stage2/block1/act2`. */
  name: string;
  /** Position among the model's activation layers (0 = first). */
  index: number;
  kind: 'AconA' | 'AconB' | 'AconC' | 'MetaAconC';
  /** MetaAconC only. */
  granularity?: 'channel' | 'layer' | 'pixel';
  p1: number[];
  p2: number[];
  beta: number[];
  /** [sample][channel]: β for each of the `betaSampleIndices` test samples (MetaAconC); ACON repeats its learned β. */
  betaPerSample?: number[][];
}

export interface RunRecord {
  activation: string;
  seed: number;
  epochs: EpochRecord[];
  finalTestError: number;
  params: number;
  /** Multiply–accumulates of one forward pass of one image. */
  flops: number;
  wallSeconds: number;
  /** Mean training throughput. */
  imagesPerSec: number;
  layers: ActivationLayerRecord[];
  /** Test-set indices used for `betaPerSample`. */
  betaSampleIndices?: number[];
  /** The trained model (model.json + weights.bin), relative to results.json's directory. */
  modelDir?: string;
}

export interface ResultsFile {
  version: 1;
  createdAt: string;
  config: {
    model: string;
    widthMultiplier?: number;
    activations: string[];
    seeds: number[];
    epochs: number;
    batchSize: number;
    learningRate: number;
    momentum: number;
    weightDecay: number;
    labelSmoothing: number;
    data: { source: string; trainCount: number; testCount: number };
  };
  environment: { backend: string; workers: number; node: string; cpus: string };
  runs: RunRecord[];
}

function fail(path: string, what: string): never {
  throw new Error(`results.json: ${path} ${what}`);
}

function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || Number.isNaN(v)) fail(path, `must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, `must be an array, got ${typeof v}`);
  return v;
}

/** Parses and checks results.json text; the error names the first bad field. */
export function parseResults(text: string): ResultsFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`results.json: not valid JSON (${(e as Error).message})`);
  }
  const r = json as ResultsFile;
  if (!r || typeof r !== 'object') fail('(top level)', 'must be an object');
  if (r.version !== 1) fail('version', `must be 1, got ${JSON.stringify(r.version)}`);
  if (!r.config || typeof r.config !== 'object') fail('config', 'is missing');
  arr(r.config.activations, 'config.activations');
  arr(r.runs, 'runs').forEach((run, i) => {
    const p = `runs[${i}]`;
    const rr = run as RunRecord;
    if (typeof rr.activation !== 'string') fail(`${p}.activation`, 'must be a string');
    num(rr.seed, `${p}.seed`);
    num(rr.finalTestError, `${p}.finalTestError`);
    arr(rr.epochs, `${p}.epochs`).forEach((e, j) => {
      for (const k of ['epoch', 'trainLoss', 'testLoss', 'testError'] as const) num((e as EpochRecord)[k], `${p}.epochs[${j}].${k}`);
    });
    arr(rr.layers, `${p}.layers`).forEach((l, j) => {
      const lr = l as ActivationLayerRecord;
      for (const k of ['p1', 'p2', 'beta'] as const) arr(lr[k], `${p}.layers[${j}].${k}`);
    });
  });
  return r;
}
