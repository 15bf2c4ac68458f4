#!/usr/bin/env node
/**
 * The `acon` command: `compare` trains the same network with several activations on Fashion-MNIST
 * and writes results.json and report.html; `train` does one run. Flags are parsed by args.ts only.
 */
import { realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MODEL_NAMES, type ModelName } from '../models/index.js';
import { DEFAULT_BLOCKS } from '../models/resnet.js';
import { DEFAULT_STAGE_REPEATS } from '../models/shufflenet.js';
import { BACKEND_ENV, NODE_BACKENDS, type NodeBackendName } from '../node/backend.js';
import { TrainingInterrupted } from '../train/trainer.js';
import { parseFlags, renderHelp, UsageError, type FlagSpec, type ParsedFlags } from './args.js';
import { errorTable, runExperiment, type ExperimentConfig } from './experiment.js';
import { printStepProfiles } from '../node/profile.js';
import { runTorchExperiment } from './torch_engine.js';

/** `--workers` above this many threads per core is capped: more only adds memory and contention. */
export const MAX_WORKERS_PER_CORE = 2;

const common: FlagSpec[] = [
  {
    name: 'model',
    kind: 'string',
    value: 'NAME',
    choices: MODEL_NAMES,
    default: 'shufflenet',
    help: 'network: ShuffleNetV2-style or bottleneck ResNet',
  },
  { name: 'width', kind: 'number', value: 'M', default: 0.5, above: 0, help: 'ShuffleNetV2 width multiplier' },
  {
    name: 'repeats',
    kind: 'list',
    value: 'A,B,C',
    help: `blocks per stage (ShuffleNetV2 default ${DEFAULT_STAGE_REPEATS}; ResNet ${DEFAULT_BLOCKS})`,
  },
  { name: 'epochs', kind: 'int', value: 'N', default: 10, min: 1, help: 'training epochs per run' },
  { name: 'batch-size', kind: 'int', value: 'B', default: 128, min: 2, help: 'images per step' },
  { name: 'lr', kind: 'number', value: 'LR', default: 0.1, above: 0, help: 'initial learning rate, decayed linearly to 0' },
  { name: 'momentum', kind: 'number', value: 'M', default: 0.9, min: 0, below: 1, help: 'SGD momentum' },
  {
    name: 'weight-decay',
    kind: 'number',
    value: 'WD',
    default: 4e-5,
    min: 0,
    help: 'L2 weight decay on conv/dense kernels (never on ACON parameters or BN)',
  },
  { name: 'label-smoothing', kind: 'number', value: 'E', default: 0.1, min: 0, below: 1, help: 'label smoothing ε' },
  {
    name: 'data',
    kind: 'string',
    value: 'DIR',
    help: "Fashion-MNIST (or MNIST) idx files; 'sample' for the bundled sample. Default: ACON_DATA, Debian's dataset-fashion-mnist, the cache, then the sample",
  },
  { name: 'download', kind: 'bool', help: 'download the full data set into the cache if no copy is found' },
  {
    name: 'per-class',
    kind: 'int',
    value: 'K',
    min: 1,
    help: 'use only the first K train and K/6 test images per class (quick runs)',
  },
  {
    name: 'out',
    kind: 'string',
    value: 'DIR',
    default: 'runs/compare',
    help: 'output directory (results.json, report.html, checkpoints/); runs of other activations or seeds with the same settings are added to its results.json',
  },
  { name: 'resume', kind: 'bool', help: 'continue interrupted runs from their last complete epoch (same settings required)' },
  {
    name: 'overwrite',
    kind: 'bool',
    help: 'start again over existing checkpoints (and results of other settings) in --out instead of refusing',
  },
  { name: 'json', kind: 'bool', help: 'print results.json to stdout instead of the table' },
  {
    name: 'workers',
    kind: 'int',
    value: 'W',
    default: Math.min(2, availableParallelism()),
    min: 1,
    help: `threads per run: data-parallel replicas, the main thread and W−1 worker threads (at most ${MAX_WORKERS_PER_CORE} per core)`,
  },
  {
    name: 'backend',
    kind: 'string',
    value: 'NAME',
    choices: NODE_BACKENDS,
    help: `TensorFlow.js backend (default: ${BACKEND_ENV}, else wasm)`,
  },
  {
    name: 'profile',
    kind: 'bool',
    help: "print the per-kernel share of one training step of each activation's network, instead of training",
  },
  { name: 'help', kind: 'bool', help: 'show this help' },
];

const compareFlags: FlagSpec[] = [
  {
    name: 'activations',
    kind: 'list',
    value: 'A,B,…',
    default: ['relu', 'swish', 'aconC', 'metaAconC'],
    help: 'activations to compare: relu, swish, aconA, aconB, aconC, metaAconC[:channel|layer|pixel]',
  },
  { name: 'seeds', kind: 'int', value: 'K', default: 3, min: 1, help: 'seeds per activation (1..K)' },
  {
    name: 'engine',
    kind: 'string',
    value: 'NAME',
    choices: ['tfjs', 'torch'],
    default: 'tfjs',
    help: 'tfjs (this process and its workers) or torch (PyTorch DDP via torchrun; python from ACON_PYTHON, /usr/bin/python3 or python3)',
  },
  {
    name: 'nproc',
    kind: 'int',
    value: 'N',
    default: Math.min(2, availableParallelism()),
    min: 1,
    help: 'torch engine: processes on this machine (torchrun --nproc_per_node)',
  },
  {
    name: 'torchrun-args',
    kind: 'string',
    value: "'ARGS'",
    help: "torch engine: more torchrun arguments, e.g. '--nnodes 2 --rdzv-backend c10d --rdzv-endpoint HOST:29400'",
  },
  ...common,
];

const trainFlags: FlagSpec[] = [
  { name: 'activation', kind: 'string', value: 'A', default: 'aconC', help: 'activation (as in compare --activations)' },
  { name: 'seed', kind: 'int', value: 'S', default: 1, min: 0, help: 'seed of initialisation and data order' },
  ...common.map((f) => (f.name === 'out' ? { ...f, default: 'runs/train' } : f)),
];

/** Each command: its flags, help text, and what varies over its runs. */
const COMMANDS: Record<
  string,
  { flags: FlagSpec[]; summary: string; description: string; runs(f: ParsedFlags): { activations: string[]; seeds: number[] } }
> = {
  compare: {
    flags: compareFlags,
    summary: 'train the same network with several activations over several seeds; write results.json and report.html',
    description:
      'Trains the same network with each activation and seed on Fashion-MNIST, then writes results.json and a self-contained report.html.',
    runs: (f) => ({ activations: f.activations as string[], seeds: Array.from({ length: f.seeds as number }, (_, i) => i + 1) }),
  },
  train: {
    flags: trainFlags,
    summary: 'train one network with one activation and seed',
    description: 'Trains one network with one activation and seed on Fashion-MNIST; writes results.json, report.html and checkpoints.',
    runs: (f) => ({ activations: [f.activation as string], seeds: [f.seed as number] }),
  },
};

/**
 * Commands in modules of their own (src/cli/<command>.ts), one line each:
 * `name: { summary: '…', run: (argv) => import('./name.js').then((m) => m.main(argv)) },`
 * `run` receives the arguments after the command name, parses them with args.ts, and resolves to
 * the exit code (throwing `UsageError` for bad flags, other errors for failures).
 */
const MODULE_COMMANDS: Record<string, { summary: string; run(argv: string[]): Promise<number> }> = {
  convert: {
    summary: 'a PyTorch .pth or .safetensors checkpoint → safetensors, or → a tfjs model directory of a zoo architecture',
    run: (argv) => import('./convert.js').then((m) => m.convertCommand(argv)),
  },
  inspect: {
    summary: 'list a checkpoint\'s tensors and its ACON layers with their learned "activate or not"',
    run: (argv) => import('./inspect.js').then((m) => m.inspectCommand(argv)),
  },
  explore: {
    summary: 'build the explorer web page and serve it on 127.0.0.1',
    run: (argv) => import('./explore.js').then((m) => m.explore(argv)),
  },
};

const USAGE = `usage: acon <command> [flags]

commands:
${[...Object.entries(COMMANDS), ...Object.entries(MODULE_COMMANDS)].map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`).join('\n')}
Run 'acon <command> --help' for its flags.`;

/** `--workers` within reason: a warning above the core count, capped at `MAX_WORKERS_PER_CORE` per core. */
export function saneWorkers(requested: number, cores: number, warn: (m: string) => void): number {
  const cap = MAX_WORKERS_PER_CORE * cores;
  if (requested > cap) {
    warn(`acon: --workers ${requested} is more than ${MAX_WORKERS_PER_CORE} per core on this ${cores}-core machine; using ${cap}`);
    return cap;
  }
  if (requested > cores)
    warn(`acon: --workers ${requested} is more than the ${cores} cores: the threads will share cores, which is slower`);
  return requested;
}

function toConfig(command: string, flags: ParsedFlags, activations: string[], seeds: number[]): ExperimentConfig {
  const model = flags.model as ModelName;
  const perClass = flags['per-class'] as number | undefined;
  const data = flags.data as string | undefined;
  const repeats = (flags.repeats as string[] | undefined)?.map((r) => {
    const n = r.trim() === '' ? NaN : Number(r);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`acon ${command}: --repeats must be positive integers, got '${r}'`);
    return n;
  }) ?? [...(model === 'shufflenet' ? DEFAULT_STAGE_REPEATS : DEFAULT_BLOCKS)];
  const envBackend = process.env[BACKEND_ENV];
  if (flags.backend === undefined && envBackend && !(NODE_BACKENDS as readonly string[]).includes(envBackend))
    throw new UsageError(`acon ${command}: ${BACKEND_ENV} must be one of ${NODE_BACKENDS.join(', ')}, got '${envBackend}'`);
  return {
    activations,
    seeds,
    model,
    ...(model === 'shufflenet' ? { widthMultiplier: flags.width as number } : {}),
    repeats,
    epochs: flags.epochs as number,
    batchSize: flags['batch-size'] as number,
    learningRate: flags.lr as number,
    momentum: flags.momentum as number,
    weightDecay: flags['weight-decay'] as number,
    labelSmoothing: flags['label-smoothing'] as number,
    workers: saneWorkers(flags.workers as number, availableParallelism(), (m) => console.error(m)),
    backend: flags.backend as NodeBackendName | undefined,
    data: {
      ...(data === 'sample' ? { source: 'sample' as const } : data !== undefined ? { dataDir: data } : {}),
      ...(flags.download ? { download: { log: (m: string) => console.error(m) } } : {}),
      ...(perClass !== undefined ? { perClass: { train: perClass, test: Math.max(2, Math.ceil(perClass / 6)) } } : {}),
    },
    out: resolve(flags.out as string),
    resume: flags.resume === true,
    overwrite: flags.overwrite === true,
    report: true,
    command: `acon ${command}`,
  };
}

/** `s` as one shell word. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./,:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command line that continues an interrupted run: the same flags, with --resume and without --overwrite. */
export function resumeCommand(argv: string[], script = process.argv[1] ?? ''): string {
  const prefix = basename(script) === 'main.ts' ? ['node', '--import', 'tsx', relative(process.cwd(), script) || script] : ['acon'];
  const args = argv.filter((a) => !/^--(resume|overwrite)(=.*)?$/.test(a));
  return [...prefix, ...args, '--resume'].map(shellQuote).join(' ');
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  if (Object.hasOwn(MODULE_COMMANDS, command)) return MODULE_COMMANDS[command].run(rest);
  const spec = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!spec) {
    console.error(`acon: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  const flags = parseFlags(rest, spec.flags, command);
  if (flags.help) {
    console.log(renderHelp(`usage: acon ${command} [flags]`, spec.description, spec.flags));
    return 0;
  }
  const { activations, seeds } = spec.runs(flags);
  // First Ctrl-C: stop after the current step, keep the last checkpoint, say how to resume. Second: at once.
  const interrupt = new AbortController();
  const onInterrupt = () => {
    if (interrupt.signal.aborted) process.exit(130);
    console.error('\nacon: interrupted; stopping after the current step (Ctrl-C again to quit at once)');
    interrupt.abort();
  };
  const cfg = { ...toConfig(command, flags, activations, seeds), signal: interrupt.signal };
  if (flags.profile === true) return printStepProfiles(cfg).then(() => 0);
  const torch =
    flags.engine === 'torch'
      ? { nproc: flags.nproc as number, torchrunArgs: ((flags['torchrun-args'] as string | undefined) ?? '').split(/\s+/).filter(Boolean) }
      : undefined;
  let outcome;
  process.on('SIGINT', onInterrupt);
  try {
    outcome = torch ? await runTorchExperiment(cfg, torch) : await runExperiment(cfg);
  } catch (e) {
    if (!(e instanceof TrainingInterrupted)) throw e;
    console.error(`\nacon: ${e.message}.\nResume with:\n  ${resumeCommand(argv)}`);
    return 130;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  const { results, resultsPath, reportPath } = outcome;
  if (flags.json === true) {
    console.log(JSON.stringify(results, null, 1));
  } else {
    console.log(`\n${errorTable(results)}\n`);
    console.log(`results: ${resultsPath}`);
    if (reportPath) console.log(`report:  ${reportPath}`);
  }
  return 0;
}

/** An error's message for the terminal, with one `acon:` prefix whatever the thrower wrote. */
export function errorLine(e: Error): string {
  return e instanceof UsageError || /^acon\b/.test(e.message) ? e.message : `acon: ${e.message}`;
}

/** Whether this module is the program (`acon …`, also through npm's bin symlink), not an import. */
function isProgram(): boolean {
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1] ?? '')).href;
  } catch {
    return false;
  }
}

if (isProgram()) {
  // A reader that closed the pipe (`acon … --json | head`) wants no more: end quietly.
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  // exitCode rather than exit(): a piped stdout (--json) must drain before the process ends.
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: Error) => {
      console.error(errorLine(e));
      if (process.env.ACON_DEBUG) console.error(e.stack);
      process.exitCode = e instanceof UsageError ? 2 : 1;
    },
  );
}
