/**
 * The experiment behind `acon compare` and `acon train`: take the output directory (checked for
 * writability and locked), load the data, train every (activation, seed) run with checkpoints,
 * write `results.json` after each run — merged with the runs already there of the same settings —
 * and the report at the end. Runs are independent; each uses `workers` threads.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadFashionMnist, normalizedSplit, type LoadOptions } from '../data/dataset.js';
import { hashDataFiles } from '../data/files.js';
import { initNodeBackend } from '../node/backend.js';
import { formatActivation, parseActivation } from '../models/index.js';
import { writeReport } from '../report/index.js';
import { meanCI } from '../report/stats.js';
import {
  mergeResults,
  parseResults,
  RESULTS_VERSION,
  SETTING_NAMES,
  type ResultsConfig,
  type ResultsFile,
  type RunRecord,
} from '../results/schema.js';
import { currentEnvironment } from '../train/provenance.js';
import type { WorkerPool } from '../node/parallel/worker_pool.js';
import { checkpointConflict, runIdentity, startWorkerPool, trainRun, type RunData, type RunSettings } from '../train/trainer.js';
import { removeStaleTemporaries, writeFileAtomic } from '../util/atomic_file.js';
import { formatDuration } from '../util/duration.js';
import { ensureWritableDir, lockDir } from '../util/output_dir.js';
import { createProgress } from './progress.js';

/** The training settings shared by every run, plus what varies (activations, seeds) and where things go. */
export interface ExperimentConfig extends Omit<RunSettings, 'activation' | 'seed'> {
  activations: string[];
  seeds: number[];
  data: LoadOptions;
  out: string;
  resume: boolean;
  /** Start again over checkpoints (and results of other settings) instead of refusing. */
  overwrite?: boolean;
  report: boolean;
  /** Aborting stops after the current step (`TrainingInterrupted`); the last checkpoint stays. */
  signal?: AbortSignal;
  /** What holds the output directory's lock, e.g. `acon compare`. */
  command?: string;
}

export interface ExperimentOutcome {
  results: ResultsFile;
  resultsPath: string;
  reportPath?: string;
}

const runName = (activation: string, seed: number) => `${activation.replace(/[^A-Za-z0-9_-]/g, '_')}_seed${seed}`;

/** Removes temporaries of killed writers under `out` (results, checkpoints, models); returns how many. */
function cleanLeftovers(out: string): number {
  const models = join(out, 'models');
  const dirs = [out, join(out, 'checkpoints'), models];
  if (existsSync(models)) for (const d of readdirSync(models)) dirs.push(join(models, d));
  return dirs.reduce((n, d) => n + removeStaleTemporaries(d).length, 0);
}

export async function runExperiment(cfg: ExperimentConfig, log: (m: string) => void = (m) => console.error(m)): Promise<ExperimentOutcome> {
  const activations = cfg.activations.map((a) => formatActivation(parseActivation(a)));
  ensureWritableDir(cfg.out, '--out directory');
  const lock = lockDir(cfg.out, cfg.command ?? 'acon');
  try {
    const removed = cleanLeftovers(cfg.out);
    if (removed) log(`removed ${removed} temporary file${removed === 1 ? '' : 's'} left by interrupted writers in ${cfg.out}`);
    return await runLocked(cfg, activations, log);
  } finally {
    lock.release();
  }
}

async function runLocked(cfg: ExperimentConfig, activations: string[], log: (m: string) => void): Promise<ExperimentOutcome> {
  await initNodeBackend({ backend: cfg.backend, log });
  // One set of worker threads for every run, loading while the data is read and checked.
  const pool = startWorkerPool(cfg.workers, log);
  try {
    return await runWithPool(cfg, activations, pool, log);
  } finally {
    await pool.dispose();
  }
}

async function runWithPool(
  cfg: ExperimentConfig,
  activations: string[],
  pool: WorkerPool,
  log: (m: string) => void,
): Promise<ExperimentOutcome> {
  const data = await loadFashionMnist(cfg.data);
  log(`data: ${data.source.description}: ${data.train.count} train / ${data.test.count} test images`);
  const runData: RunData = {
    train: normalizedSplit(data.train),
    test: normalizedSplit(data.test),
    sha256: hashDataFiles(data.source.files),
  };
  const perClass = cfg.data.perClass;
  const config: ResultsConfig = {
    ...(Object.fromEntries(SETTING_NAMES.filter((k) => cfg[k] !== undefined).map((k) => [k, cfg[k]])) as Omit<
      ResultsConfig,
      'activations' | 'seeds' | 'data'
    >),
    activations,
    seeds: cfg.seeds,
    data: {
      source: data.source.description,
      trainCount: runData.train.count,
      testCount: runData.test.count,
      ...(perClass !== undefined
        ? {
            perClass: typeof perClass === 'number' ? { train: perClass, test: perClass } : { train: perClass.train!, test: perClass.test! },
          }
        : {}),
      sha256: runData.sha256,
    },
  };
  const fresh: ResultsFile = {
    version: RESULTS_VERSION,
    createdAt: new Date().toISOString(),
    config,
    environment: currentEnvironment(),
    runs: [],
  };
  const { activations: _a, seeds: _s, data: _d, out: _o, resume: _r, report: _p, overwrite: _w, signal: _g, command: _c, ...common } = cfg;
  const plan = cfg.seeds.flatMap((seed) => activations.map((activation) => ({ seed, activation })));
  const checkpointOf = (activation: string, seed: number) => join(cfg.out, 'checkpoints', `${runName(activation, seed)}.ckpt`);
  // Refuse before any training: a checkpoint is never lost without --overwrite.
  const conflicts = plan
    .map(({ activation, seed }) =>
      checkpointConflict(checkpointOf(activation, seed), runIdentity({ ...common, activation, seed }, runData), cfg),
    )
    .filter((c): c is string => c !== undefined);
  if (conflicts.length) throw new Error(`not starting, to keep trained work:\n  ${conflicts.join('\n  ')}`);
  const resultsPath = join(cfg.out, 'results.json');
  const earlier = previousResults(resultsPath, fresh, cfg.overwrite === true);

  const progress = createProgress();
  const stepsPerRun = Math.floor(runData.train.count / cfg.batchSize) * cfg.epochs;
  const stepsOverall = stepsPerRun * plan.length;
  const started = performance.now();
  let stepsBefore = 0,
    trainedSteps = 0;
  // Seeds outermost: an interrupted experiment has every activation for the seeds it finished.
  try {
    for (const { seed, activation } of plan) {
      const label = `[${activation} seed ${seed}]`;
      const settings: RunSettings = { ...common, activation, seed };
      const run = await trainRun(settings, runData, {
        checkpointPath: checkpointOf(activation, seed),
        resume: cfg.resume,
        overwrite: cfg.overwrite,
        signal: cfg.signal,
        pool,
        modelDir: join(cfg.out, 'models', runName(activation, seed)),
        log: (m) => progress.line(`${label} ${m}`),
        onStep: (p) => {
          trainedSteps++;
          const done = stepsBefore + (p.epoch - 1) * p.stepsPerEpoch + p.step;
          const perStep = (performance.now() - started) / 1000 / trainedSteps;
          progress.step({ ...p, label, fraction: done / stepsOverall, etaSeconds: perStep * (stepsOverall - done) });
        },
        onEpoch: (r) =>
          progress.line(
            `${label} epoch ${r.epoch}/${cfg.epochs}: train loss ${r.trainLoss.toFixed(4)}, test error ${(100 * r.testError).toFixed(2)}%, ${Math.round(r.imagesPerSec)} img/s, ${formatDuration(r.seconds)}`,
          ),
      });
      stepsBefore += stepsPerRun;
      fresh.runs.push(run.modelDir ? { ...run, modelDir: relative(cfg.out, run.modelDir) } : run);
      writeFileAtomic(resultsPath, JSON.stringify(earlier ? mergeResults(earlier, fresh, resultsPath) : fresh, null, 1));
    }
  } finally {
    progress.done();
  }
  const results = earlier ? mergeResults(earlier, fresh, resultsPath) : fresh;
  let reportPath: string | undefined;
  if (cfg.report) {
    reportPath = join(cfg.out, 'report.html');
    await writeReport(resultsPath, reportPath);
  }
  return { results, resultsPath, reportPath };
}

/**
 * The results already in the output directory that the new runs join; undefined if there are
 * none, or (with `overwrite`) if they cannot be joined. Without `overwrite`, results of other
 * settings, or a damaged file, are an error: they would be lost.
 */
function previousResults(path: string, fresh: ResultsFile, overwrite: boolean): ResultsFile | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const earlier = parseResults(readFileSync(path, 'utf8'));
    mergeResults(earlier, fresh, path);
    return earlier;
  } catch (e) {
    if (overwrite) return undefined;
    throw new Error(`${(e as Error).message}; choose another --out, or pass --overwrite to replace it`);
  }
}

/** The error table: final test error per activation, mean ± 95% CI over seeds. */
export function errorTable(results: ResultsFile): string {
  const rows = results.config.activations.map((a) => {
    const runs = results.runs.filter((r: RunRecord) => r.activation === a);
    const ci = meanCI(runs.map((r) => 100 * r.finalTestError));
    const err = runs.length ? `${ci.mean.toFixed(2)}${ci.half === null ? '' : ` ± ${ci.half.toFixed(2)}`}` : '—';
    const ips = runs.length ? Math.round(runs.reduce((s, r) => s + r.imagesPerSec, 0) / runs.length) : 0;
    return [
      a,
      err,
      String(runs.length),
      runs[0] ? String(runs[0].params) : '',
      runs[0] ? `${(runs[0].flops / 1e6).toFixed(2)}M` : '',
      String(ips),
    ];
  });
  const head = ['activation', 'test error % (95% CI)', 'seeds', 'params', 'MACs', 'img/s'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i])).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
