/**
 * The experiment behind `acon compare` and `acon train`: load the data, train every
 * (activation, seed) run with checkpoints, write `results.json` after each run and the report at
 * the end. Runs are independent; each uses `workers` threads.
 */
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { loadFashionMnist, normalizedSplit, type LoadOptions } from '../data/dataset.js';
import { initNodeBackend } from '../node/backend.js';
import { formatActivation, parseActivation } from '../models/index.js';
import { writeReport } from '../report/index.js';
import { meanCI } from '../report/stats.js';
import type { ResultsFile, RunRecord } from '../train/results.js';
import { trainRun, type RunSettings } from '../train/trainer.js';
import { writeFileAtomic } from '../util/atomic_file.js';
import { createProgress, formatDuration } from './progress.js';

/** The training settings shared by every run, plus what varies (activations, seeds) and where things go. */
export interface ExperimentConfig extends Omit<RunSettings, 'activation' | 'seed'> {
  activations: string[];
  seeds: number[];
  data: LoadOptions;
  out: string;
  resume: boolean;
  report: boolean;
}

export interface ExperimentOutcome {
  results: ResultsFile;
  resultsPath: string;
  reportPath?: string;
}

export async function runExperiment(cfg: ExperimentConfig, log: (m: string) => void = (m) => console.error(m)): Promise<ExperimentOutcome> {
  const activations = cfg.activations.map((a) => formatActivation(parseActivation(a)));
  const backend = await initNodeBackend({ backend: cfg.backend, log });
  const data = await loadFashionMnist(cfg.data);
  log(`data: ${data.source.description}: ${data.train.count} train / ${data.test.count} test images`);
  const train = normalizedSplit(data.train),
    test = normalizedSplit(data.test);
  const resultsPath = join(cfg.out, 'results.json');
  const results: ResultsFile = {
    version: 1,
    createdAt: new Date().toISOString(),
    config: {
      model: cfg.model,
      widthMultiplier: cfg.widthMultiplier,
      activations,
      seeds: cfg.seeds,
      epochs: cfg.epochs,
      batchSize: cfg.batchSize,
      learningRate: cfg.learningRate,
      momentum: cfg.momentum,
      weightDecay: cfg.weightDecay,
      labelSmoothing: cfg.labelSmoothing,
      data: { source: data.source.description, trainCount: train.count, testCount: test.count },
    },
    environment: { backend, workers: cfg.workers, node: process.version, cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}` },
    runs: [],
  };
  const progress = createProgress();
  const stepsPerRun = Math.floor(train.count / cfg.batchSize) * cfg.epochs;
  const stepsOverall = stepsPerRun * activations.length * cfg.seeds.length;
  const started = performance.now();
  let stepsBefore = 0,
    trainedSteps = 0;
  const { activations: _a, seeds: _s, data: _d, out: _o, resume: _r, report: _p, ...common } = cfg;
  // Seeds outermost: an interrupted experiment has every activation for the seeds it finished.
  for (const seed of cfg.seeds) {
    for (const activation of activations) {
      const label = `[${activation} seed ${seed}]`;
      const settings: RunSettings = { ...common, activation, seed };
      const runName = `${activation.replace(/[^A-Za-z0-9_-]/g, '_')}_seed${seed}`;
      const checkpointPath = join(cfg.out, 'checkpoints', `${runName}.ckpt`);
      const run = await trainRun(
        settings,
        { train, test },
        {
          checkpointPath,
          resume: cfg.resume,
          modelDir: join(cfg.out, 'models', runName),
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
        },
      );
      stepsBefore += stepsPerRun;
      results.runs.push(run.modelDir ? { ...run, modelDir: relative(cfg.out, run.modelDir) } : run);
      writeFileAtomic(resultsPath, JSON.stringify(results, null, 1));
    }
  }
  progress.done();
  let reportPath: string | undefined;
  if (cfg.report) {
    reportPath = join(cfg.out, 'report.html');
    await writeReport(resultsPath, reportPath);
  }
  return { results, resultsPath, reportPath };
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
