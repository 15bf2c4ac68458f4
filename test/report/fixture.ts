/**
 * A realistic synthetic `results.json` for the report tests: four activations × seeds × epochs,
 * ACON-C and Meta-ACON layers with per-channel parameters, β for 7 test samples.
 */
import type { ActivationLayerRecord, ResultsFile, RunRecord } from '../../src/results/schema.js';
import { rng } from '../helpers/random.js';

/** Final test errors (fractions) per activation, one per seed: the numbers the tests check. */
export const FINAL_ERRORS: Readonly<Record<string, readonly number[]>> = {
  relu: [0.112, 0.108, 0.11],
  swish: [0.106, 0.104, 0.105],
  aconC: [0.101, 0.099, 0.103],
  metaAconC: [0.096, 0.094, 0.095],
};

const LAYERS = [
  { name: 'stem/act', channels: 16 },
  { name: 'stage1/block1/act1', channels: 24 },
  { name: 'stage1/block2/act1', channels: 24 },
  { name: 'stage2/block1/act1', channels: 48 },
  { name: 'stage2/block2/act1', channels: 48 },
  { name: 'stage3/block1/act1', channels: 96 },
];

const SAMPLES = [17, 804, 2291, 3650, 5012, 7777, 9403];

function sig(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function layers(kind: 'AconC' | 'MetaAconC', seed: number): ActivationLayerRecord[] {
  const r = rng(seed * 101 + (kind === 'AconC' ? 1 : 2));
  return LAYERS.map(({ name, channels }, index) => {
    const depth = index / (LAYERS.length - 1);
    const p1 = Array.from({ length: channels }, () => 1 + 0.35 * r.normal());
    const p2 = Array.from({ length: channels }, () => 0.05 + 0.3 * r.normal());
    if (kind === 'AconC') {
      // Learned β: switching early, more and more linear with depth.
      const beta = Array.from({ length: channels }, () => Math.exp(1.2 - 2.6 * depth + 0.7 * r.normal()));
      return { name, index, kind, p1, p2, beta, betaPerSample: SAMPLES.map(() => [...beta]) };
    }
    const logits = Array.from({ length: channels }, () => 1.5 - 3 * depth + 0.8 * r.normal());
    const perSample = SAMPLES.map(() => {
      const shift = 1.2 * r.normal();
      return logits.map((l) => sig(l + shift + 0.4 * r.normal()));
    });
    const beta = logits.map((_, c) => perSample.reduce((s, b) => s + b[c], 0) / perSample.length);
    return { name, index, kind, granularity: 'channel', p1, p2, beta, betaPerSample: perSample };
  });
}

function run(activation: string, seed: number, finalTestError: number, epochs: number): RunRecord {
  const r = rng(seed * 7 + activation.length);
  const records = Array.from({ length: epochs }, (_, i) => {
    const t = (i + 1) / epochs;
    const testError = i === epochs - 1 ? finalTestError : finalTestError + 0.12 * (1 - t) ** 1.5 + 0.004 * r.normal();
    return {
      epoch: i + 1,
      trainLoss: 0.35 + 0.9 * Math.exp(-3 * t) + 0.01 * r.normal(),
      trainError: testError - 0.01,
      testLoss: 0.4 + 0.8 * Math.exp(-3 * t),
      testError,
      lr: 0.1 * (1 - t),
      seconds: 42 + r.normal(),
      imagesPerSec: 1400 + 20 * r.normal(),
    };
  });
  const kind = activation === 'aconC' ? 'AconC' : activation === 'metaAconC' ? 'MetaAconC' : undefined;
  return {
    activation,
    seed,
    backend: 'wasm',
    workers: 4,
    epochs: records,
    finalTestError,
    params: 220_000 + (kind === 'AconC' ? 768 : kind === 'MetaAconC' ? 6_144 : 0),
    flops: 11_800_000 + (kind ? 120_000 : 0),
    wallSeconds: 42 * epochs + 5 * r.normal(),
    imagesPerSec: 1400 + 20 * r.normal(),
    layers: kind ? layers(kind, seed) : [],
    betaSampleIndices: kind ? SAMPLES : undefined,
  };
}

export interface FixtureOptions {
  activations?: readonly string[];
  seeds?: readonly number[];
  epochs?: number;
}

export function makeResults(o: FixtureOptions = {}): ResultsFile {
  const activations = [...(o.activations ?? Object.keys(FINAL_ERRORS))];
  const seeds = [...(o.seeds ?? [1, 2, 3])];
  const epochs = o.epochs ?? 6;
  return {
    version: 2,
    createdAt: '2025-01-01T12:00:00.000Z',
    config: {
      model: 'shufflenetv2-mini',
      widthMultiplier: 0.5,
      repeats: [1, 2, 1],
      activations,
      seeds,
      epochs,
      batchSize: 128,
      learningRate: 0.1,
      momentum: 0.9,
      weightDecay: 4e-5,
      labelSmoothing: 0.1,
      data: {
        source: 'fashion-mnist (idx files)',
        trainCount: 60_000,
        testCount: 10_000,
        sha256: '5c2a1b0e9f3d4c6b7a8e9d0c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a',
      },
    },
    environment: {
      node: 'v20.20.2',
      cpus: '8 × Example CPU @ 3.0GHz',
      version: '0.2.0',
      commit: '0123456789abcdef0123456789abcdef01234567',
    },
    runs: activations.flatMap((a) => seeds.map((s, i) => run(a, s, (FINAL_ERRORS[a] ?? [0.1])[i % 3], epochs))),
  };
}
