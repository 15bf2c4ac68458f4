/**
 * `acon compare --engine torch`: the same experiment handed to PyTorch's DistributedDataParallel.
 * Launches `python -m acon_torch.torchrun --nproc_per_node N [torchrun args] -m acon_torch.train …`
 * (the package in `python/`, the trainer's recipe and data order are those of `acon train`),
 * streams its progress lines, then renders report.html from the results.json it wrote.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFashionMnist } from '../data/sources.js';
import { writeReport } from '../report/index.js';
import { parseResults } from '../results/schema.js';
import type { ExperimentConfig, ExperimentOutcome } from './experiment.js';

/** The directory that holds the `acon_torch` package (put on PYTHONPATH). */
export const PYTHON_PACKAGE_DIR = fileURLToPath(new URL('../../python/', import.meta.url));

export interface TorchPython {
  python: string;
  torchVersion: string;
}

const INSTALL_HINT =
  "install PyTorch: Debian/Ubuntu 'apt-get install python3-torch' (its python is /usr/bin/python3), or 'pip install torch'; " +
  'or set ACON_PYTHON to a python that has torch';

/**
 * The first python that imports torch: `ACON_PYTHON` if set (then only it), else `/usr/bin/python3`,
 * else `python3` on PATH. The error says what each candidate answered and what to install.
 */
export function findTorchPython(env: Record<string, string | undefined> = process.env): TorchPython {
  const candidates = env.ACON_PYTHON ? [env.ACON_PYTHON] : ['/usr/bin/python3', 'python3'];
  const tried: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch, torch.distributed; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python, torchVersion: r.stdout.trim() };
    const why = r.error
      ? (r.error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'not found'
        : r.error.message
      : (r.stderr.trim().split('\n').pop() ?? `exit code ${r.status}`);
    tried.push(`${python}${env.ACON_PYTHON ? ' (ACON_PYTHON)' : ''}: ${why}`);
  }
  throw new Error(`--engine torch needs a Python with PyTorch; tried ${tried.join('; ')}. To fix, ${INSTALL_HINT}`);
}

export interface TorchEngineOptions {
  /** Processes on this machine (torchrun --nproc_per_node). */
  nproc: number;
  /** More torchrun arguments, e.g. `--nnodes 2 --rdzv-backend c10d --rdzv-endpoint host:29400`. */
  torchrunArgs: string[];
  env?: Record<string, string | undefined>;
}

/** The trainer's flags for `cfg` (the data directory already resolved the way acon looks it up). */
export function trainArgs(cfg: ExperimentConfig, dataDir: string): string[] {
  const perClass = cfg.data.perClass;
  const perClassTrain = typeof perClass === 'number' ? perClass : perClass?.train;
  const args = [
    ['--model', cfg.model],
    ['--activations', cfg.activations.join(',')],
    ['--epochs', cfg.epochs],
    ['--batch-size', cfg.batchSize],
    ['--lr', cfg.learningRate],
    ['--momentum', cfg.momentum],
    ['--weight-decay', cfg.weightDecay],
    ['--label-smoothing', cfg.labelSmoothing],
    ['--data', dataDir],
    ['--out', cfg.out],
  ];
  if (cfg.widthMultiplier !== undefined) args.push(['--width', cfg.widthMultiplier]);
  if (cfg.repeats) args.push(['--repeats', cfg.repeats.join(',')]);
  if (perClassTrain !== undefined) args.push(['--per-class', perClassTrain]);
  const seeds = cfg.seeds;
  if (seeds.length === 1) args.push(['--seed', seeds[0]]);
  else if (seeds.every((s, i) => s === i + 1)) args.push(['--seeds', seeds.length]);
  else throw new Error(`--engine torch: seeds must be 1..K or a single seed, got [${seeds}]`);
  return args.flat().map(String);
}

/** A TCP port that is free now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * torchrun's rendezvous: as given, or for a run on this machine alone a free port, since
 * torchrun's default 29500 is taken by any other run on the machine.
 */
export async function rendezvousArgs(torchrunArgs: string[]): Promise<string[]> {
  if (torchrunArgs.some((a) => /^--(nnodes|rdzv|master|standalone)/.test(a))) return torchrunArgs;
  return ['--master_addr', '127.0.0.1', '--master_port', String(await freePort()), ...torchrunArgs];
}

/** Runs the experiment with torchrun and writes results.json and report.html in `cfg.out`. */
export async function runTorchExperiment(
  cfg: ExperimentConfig,
  opts: TorchEngineOptions,
  log: (m: string) => void = (m) => console.error(m),
): Promise<ExperimentOutcome> {
  if (cfg.resume) throw new Error('--engine torch: --resume is not supported (the torch trainer starts every run afresh)');
  const env = opts.env ?? process.env;
  const { python, torchVersion } = findTorchPython(env);
  const data = await findFashionMnist(cfg.data);
  const args = [
    '-m',
    'acon_torch.torchrun',
    '--nproc_per_node',
    String(opts.nproc),
    ...(await rendezvousArgs(opts.torchrunArgs)),
    '-m',
    'acon_torch.train',
    ...trainArgs(cfg, data.kind === 'sample' ? 'sample' : data.dir),
  ];
  log(`engine: torch ${torchVersion} (${python}), ${opts.nproc} process${opts.nproc === 1 ? '' : 'es'} on this machine`);
  const pythonPath = [PYTHON_PACKAGE_DIR, env.PYTHONPATH].filter(Boolean).join(':');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(python, args, {
      env: { ...env, PYTHONPATH: pythonPath, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const forward = (stream: NodeJS.ReadableStream) => {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) log(line);
      });
      stream.on('end', () => pending && log(pending));
    };
    forward(child.stdout!);
    forward(child.stderr!);
    child.on('error', reject);
    child.on('close', (code, signal) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `torchrun (${python} ${args.slice(0, 4).join(' ')} …) failed with ${signal ? `signal ${signal}` : `exit code ${code}`}`,
            ),
          ),
    );
  });
  const resultsPath = join(cfg.out, 'results.json');
  if (!existsSync(resultsPath))
    throw new Error(
      `torchrun finished but wrote no ${resultsPath}: rank 0, which writes results.json, ran on another node (render the report there)`,
    );
  const results = parseResults(readFileSync(resultsPath, 'utf8'));
  let reportPath: string | undefined;
  if (cfg.report) {
    reportPath = join(cfg.out, 'report.html');
    await writeReport(resultsPath, reportPath);
  }
  return { results, resultsPath, reportPath };
}
