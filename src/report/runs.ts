/** Aggregation of the runs of `results.json` over seeds: per activation and per epoch. */
import type { EpochRecord, ResultsFile, RunRecord } from '../results/schema.js';
import { mean, meanCI, type MeanCI } from './stats.js';

/** Activations in the order of the config, then any others that have runs. */
export function activationNames(results: ResultsFile): string[] {
  const names = [...results.config.activations];
  for (const r of results.runs) if (!names.includes(r.activation)) names.push(r.activation);
  return names;
}

/** Runs of one activation, in the order of `config.seeds` (seeds not listed there last). */
export function runsOf(results: ResultsFile, activation: string): RunRecord[] {
  const order = (seed: number) => {
    const i = results.config.seeds.indexOf(seed);
    return i < 0 ? Infinity : i;
  };
  return results.runs.filter((r) => r.activation === activation).sort((a, b) => order(a.seed) - order(b.seed) || a.seed - b.seed);
}

export interface ActivationSummary {
  activation: string;
  runs: RunRecord[];
  /** Final test error (fraction) over seeds. */
  error: MeanCI;
  /** The run with the lowest final test error. */
  best?: RunRecord;
  /** Of the first run (the model does not depend on the seed). */
  params: number;
  flops: number;
  /** Means over seeds. */
  imagesPerSec: number;
  wallSeconds: number;
}

export function summarizeActivation(activation: string, runs: readonly RunRecord[]): ActivationSummary {
  const best = runs.reduce<RunRecord | undefined>((b, r) => (b === undefined || r.finalTestError < b.finalTestError ? r : b), undefined);
  return {
    activation,
    runs: [...runs],
    error: meanCI(runs.map((r) => r.finalTestError)),
    best,
    params: runs[0]?.params ?? NaN,
    flops: runs[0]?.flops ?? NaN,
    imagesPerSec: mean(runs.map((r) => r.imagesPerSec)),
    wallSeconds: mean(runs.map((r) => r.wallSeconds)),
  };
}

export interface EpochStat {
  epoch: number;
  /** Number of runs that reached this epoch. */
  n: number;
  mean: number;
  min: number;
  max: number;
}

/** Mean, min and max of one per-epoch metric over runs, epochs matched by number. */
export function epochStats(runs: readonly RunRecord[], metric: 'trainLoss' | 'testError'): EpochStat[] {
  const byEpoch = new Map<number, number[]>();
  for (const r of runs)
    for (const e of r.epochs as readonly EpochRecord[]) {
      const v = e[metric];
      if (!Number.isFinite(v)) continue;
      const list = byEpoch.get(e.epoch) ?? [];
      list.push(v);
      byEpoch.set(e.epoch, list);
    }
  return [...byEpoch.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([epoch, vs]) => ({ epoch, n: vs.length, mean: mean(vs), min: Math.min(...vs), max: Math.max(...vs) }));
}
