/**
 * `results.json`: what `acon train` and `acon compare` write (and any other trainer, e.g. a PyTorch
 * one, may write), and what the report and the explorer read. Plain JSON, versioned by `version`;
 * `parseResults` checks a file, names the first field that is wrong, and brings version 1 files
 * up to the current version. Browser-safe: nothing here touches `node:*`.
 *
 * The training settings are declared once, in `TrainingSettings`; `SETTING_FIELDS` (keyed by that
 * type, so the compiler demands an entry per setting) drives the check, the report's settings table,
 * and the comparison of two runs' settings (checkpoints, merged results).
 */

export const RESULTS_VERSION = 2;

/**
 * Every setting that determines a run's numbers, apart from the activation, the seed and the data.
 * (The backend and the worker count do not change the numbers; each run records its own.)
 */
export interface TrainingSettings {
  /** `shufflenet` or `resnet`. */
  model: string;
  /** ShuffleNetV2 width multiplier (absent for ResNet). */
  widthMultiplier?: number;
  /** Blocks per stage. Absent only in version 1 files, which did not record it. */
  repeats?: number[];
  epochs: number;
  /** Images per step, over all workers. */
  batchSize: number;
  /** Initial learning rate, decayed linearly to 0 over all steps. */
  learningRate: number;
  momentum: number;
  /** L2 weight decay on conv and dense kernels. */
  weightDecay: number;
  /** Label smoothing ε of the training loss. */
  labelSmoothing: number;
}

export type SettingKind = 'string' | 'number' | 'integers';

export interface SettingField {
  /** For people: the report's settings table. */
  label: string;
  /** The `acon train` flag that sets it. */
  flag: string;
  kind: SettingKind;
  /** May be absent (see `TrainingSettings`). */
  optional?: boolean;
}

export const SETTING_FIELDS: { readonly [K in keyof Required<TrainingSettings>]: SettingField } = {
  model: { label: 'Model', flag: '--model', kind: 'string' },
  widthMultiplier: { label: 'Width multiplier', flag: '--width', kind: 'number', optional: true },
  repeats: { label: 'Blocks per stage', flag: '--repeats', kind: 'integers', optional: true },
  epochs: { label: 'Epochs', flag: '--epochs', kind: 'number' },
  batchSize: { label: 'Batch size', flag: '--batch-size', kind: 'number' },
  learningRate: { label: 'Learning rate (initial, linear decay to 0)', flag: '--lr', kind: 'number' },
  momentum: { label: 'SGD momentum', flag: '--momentum', kind: 'number' },
  weightDecay: { label: 'Weight decay (conv and dense kernels)', flag: '--weight-decay', kind: 'number' },
  labelSmoothing: { label: 'Label smoothing', flag: '--label-smoothing', kind: 'number' },
};

export const SETTING_NAMES = Object.keys(SETTING_FIELDS) as (keyof TrainingSettings)[];

/** Where the images came from. */
export interface DataRecord {
  /** For people, e.g. `--data /usr/share/datasets/fashion-mnist`. */
  source: string;
  trainCount: number;
  testCount: number;
  /** The stratified subset taken (`--per-class`): images per class of each split. */
  perClass?: { train: number; test: number };
  /**
   * SHA-256 (hex) over the four idx files as stored: the digests of train images, train labels,
   * test images, test labels (each the hex SHA-256 of the file's bytes), joined by newlines.
   * Absent in version 1 files.
   */
  sha256?: string;
}

/** The settings of a results file: the training settings, what varied, and the data. */
export interface ResultsConfig extends TrainingSettings {
  activations: string[];
  seeds: number[];
  data: DataRecord;
}

/** The program and machine that wrote the file (the last writer, when runs were merged). */
export interface EnvironmentRecord {
  /** Node version, e.g. `v20.20.2`. */
  node: string;
  /** e.g. `2 × AMD EPYC`. */
  cpus: string;
  /** Version of the acon package (absent in version 1 files). */
  version?: string;
  /** Git commit of the acon sources, when they are a git checkout. */
  commit?: string;
}

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
  /** TensorFlow.js backend the run trained on (`wasm`, `cpu`, …; another trainer may name itself, e.g. `torch`). */
  backend: string;
  /** Data-parallel replicas (threads or processes). */
  workers: number;
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
  /** The trained model (model.json + weights), relative to results.json's directory. */
  modelDir?: string;
}

export interface ResultsFile {
  version: typeof RESULTS_VERSION;
  createdAt: string;
  config: ResultsConfig;
  environment: EnvironmentRecord;
  runs: RunRecord[];
}

// ── comparing settings ───────────────────────────────────────────────────────────────────────────

function show(v: unknown): string {
  return v === undefined ? 'not recorded' : Array.isArray(v) ? v.join(',') : String(v);
}

/**
 * The training settings and data in which `a` and `b` differ, each as
 * `--lr 0.05 (was 0.1)`: `a` is the earlier one. Settings absent from either side are skipped.
 */
export function settingsDifferences(
  a: Partial<TrainingSettings> & { data?: Partial<DataRecord> },
  b: Partial<TrainingSettings> & { data?: Partial<DataRecord> },
): string[] {
  const out: string[] = [];
  for (const name of SETTING_NAMES) {
    const [x, y] = [a[name], b[name]];
    if (x === undefined || y === undefined) continue;
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push(`${SETTING_FIELDS[name].flag} ${show(y)} (was ${show(x)})`);
  }
  const [da, db] = [a.data ?? {}, b.data ?? {}];
  for (const [key, what] of [
    ['trainCount', 'training images'],
    ['testCount', 'test images'],
    ['sha256', 'data files (SHA-256)'],
  ] as const) {
    const [x, y] = [da[key], db[key]];
    if (x !== undefined && y !== undefined && x !== y) out.push(`${what} ${show(y)} (was ${show(x)})`);
  }
  return out;
}

/**
 * `earlier` with the runs of `later` added (a run of the same activation and seed is replaced):
 * runs of different activations or seeds written to one directory in turn end up in one file.
 * Throws, listing the differences, if their settings or data differ.
 */
export function mergeResults(earlier: ResultsFile, later: ResultsFile, where = 'results.json'): ResultsFile {
  const diff = settingsDifferences(earlier.config, later.config);
  if (diff.length) throw new Error(`${where} holds runs with other settings: ${diff.join(', ')}`);
  const key = (r: RunRecord) => `${r.activation}\u0000${r.seed}`;
  const replaced = new Set(later.runs.map(key));
  const union = <T>(xs: T[], ys: T[]) => [...xs, ...ys.filter((y) => !xs.includes(y))];
  return {
    ...later,
    createdAt: earlier.createdAt,
    config: {
      ...later.config,
      activations: union(earlier.config.activations, later.config.activations),
      seeds: union(earlier.config.seeds, later.config.seeds),
    },
    runs: [...earlier.runs.filter((r) => !replaced.has(key(r))), ...later.runs],
  };
}

// ── reading ──────────────────────────────────────────────────────────────────────────────────────

function fail(path: string, what: string): never {
  throw new Error(`results.json: ${path} ${what}`);
}

function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || Number.isNaN(v)) fail(path, `must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, `must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, `must be an array, got ${typeof v}`);
  return v;
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(path, 'must be an object');
  return v as Record<string, unknown>;
}

function checkSettings(config: Record<string, unknown>): void {
  for (const name of SETTING_NAMES) {
    const field = SETTING_FIELDS[name];
    const v = config[name];
    const path = `config.${name}`;
    if (v === undefined) {
      if (!field.optional) fail(path, 'is missing');
      continue;
    }
    if (field.kind === 'string') str(v, path);
    else if (field.kind === 'number') num(v, path);
    else arr(v, path).forEach((x, i) => num(x, `${path}[${i}]`));
  }
}

function checkRun(run: unknown, i: number): void {
  const p = `runs[${i}]`;
  const rr = obj(run, p);
  str(rr.activation, `${p}.activation`);
  num(rr.seed, `${p}.seed`);
  str(rr.backend, `${p}.backend`);
  num(rr.workers, `${p}.workers`);
  num(rr.finalTestError, `${p}.finalTestError`);
  arr(rr.epochs, `${p}.epochs`).forEach((e, j) => {
    const er = obj(e, `${p}.epochs[${j}]`);
    for (const k of ['epoch', 'trainLoss', 'testLoss', 'testError'] as const) num(er[k], `${p}.epochs[${j}].${k}`);
  });
  arr(rr.layers, `${p}.layers`).forEach((l, j) => {
    const lr = obj(l, `${p}.layers[${j}]`);
    for (const k of ['p1', 'p2', 'beta'] as const) arr(lr[k], `${p}.layers[${j}].${k}`);
  });
}

/**
 * Version 1 (acon 0.1) → 2: the backend and worker count move from `environment` to each run;
 * what version 1 did not record (blocks per stage, data hash, acon version) stays absent.
 */
function upgradeV1(r: Record<string, unknown>): Record<string, unknown> {
  const env = obj(r.environment, 'environment');
  const { backend, workers, ...rest } = env;
  return {
    ...r,
    version: RESULTS_VERSION,
    environment: rest,
    runs: arr(r.runs, 'runs').map((run, i) => ({ backend, workers, ...obj(run, `runs[${i}]`) })),
  };
}

/** Parses and checks results.json text (version 1 or 2), returning the current version; the error names the first bad field. */
export function parseResults(text: string): ResultsFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`results.json: not valid JSON (${(e as Error).message})`);
  }
  let r = obj(json, '(top level)');
  if (r.version === 1) r = upgradeV1(r);
  else if (r.version !== RESULTS_VERSION)
    fail('version', `must be 1 or ${RESULTS_VERSION} (the versions this acon reads), got ${JSON.stringify(r.version)}`);
  const config = obj(r.config, 'config');
  checkSettings(config);
  arr(config.activations, 'config.activations').forEach((a, i) => str(a, `config.activations[${i}]`));
  arr(config.seeds, 'config.seeds').forEach((s, i) => num(s, `config.seeds[${i}]`));
  const data = obj(config.data, 'config.data');
  str(data.source, 'config.data.source');
  num(data.trainCount, 'config.data.trainCount');
  num(data.testCount, 'config.data.testCount');
  if (data.sha256 !== undefined) str(data.sha256, 'config.data.sha256');
  const env = obj(r.environment, 'environment');
  str(env.node, 'environment.node');
  str(env.cpus, 'environment.cpus');
  arr(r.runs, 'runs').forEach(checkRun);
  return r as unknown as ResultsFile;
}
