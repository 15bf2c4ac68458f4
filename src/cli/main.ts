#!/usr/bin/env node
/**
 * The `acon` command: `compare` trains the same network with several activations on Fashion-MNIST
 * and writes results.json and report.html; `train` does one run.
 */
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MODEL_NAMES, type ModelName } from '../models/index.js';
import { NODE_BACKENDS, type NodeBackendName } from '../node/backend.js';
import { parseFlags, renderHelp, UsageError, type FlagSpec, type ParsedFlags } from './args.js';
import { errorTable, runExperiment, type ExperimentConfig } from './experiment.js';
import { runTorchExperiment } from './torch_engine.js';
import { convertCommand } from './convert.js';
import { inspectCommand } from './inspect.js';

const common: FlagSpec[] = [
  {
    name: 'model',
    kind: 'string',
    value: 'NAME',
    choices: MODEL_NAMES,
    default: 'shufflenet',
    help: 'network: ShuffleNetV2-style or bottleneck ResNet',
  },
  { name: 'width', kind: 'number', value: 'M', default: 0.5, help: 'ShuffleNetV2 width multiplier' },
  { name: 'repeats', kind: 'list', value: 'A,B,C', help: 'blocks per stage (ShuffleNetV2 default 4,8,4; ResNet 2,2,2)' },
  { name: 'epochs', kind: 'int', value: 'N', default: 10, help: 'training epochs per run' },
  { name: 'batch-size', kind: 'int', value: 'B', default: 128, help: 'images per step' },
  { name: 'lr', kind: 'number', value: 'LR', default: 0.1, help: 'initial learning rate, decayed linearly to 0' },
  { name: 'momentum', kind: 'number', value: 'M', default: 0.9, help: 'SGD momentum' },
  {
    name: 'weight-decay',
    kind: 'number',
    value: 'WD',
    default: 4e-5,
    help: 'L2 weight decay on conv/dense kernels (never on ACON parameters or BN)',
  },
  { name: 'label-smoothing', kind: 'number', value: 'E', default: 0.1, help: 'label smoothing ε' },
  {
    name: 'data',
    kind: 'string',
    value: 'DIR',
    help: "Fashion-MNIST (or MNIST) idx files; 'sample' for the bundled sample. Default: ACON_DATA, Debian's dataset-fashion-mnist, the cache, then the sample",
  },
  { name: 'download', kind: 'bool', help: 'download the full data set into the cache if no copy is found' },
  { name: 'per-class', kind: 'int', value: 'K', help: 'use only the first K train and K/6 test images per class (quick runs)' },
  {
    name: 'out',
    kind: 'string',
    value: 'DIR',
    default: 'runs/compare',
    help: 'output directory (results.json, report.html, checkpoints/)',
  },
  { name: 'resume', kind: 'bool', help: 'continue interrupted runs from their last complete epoch' },
  { name: 'json', kind: 'bool', help: 'print results.json to stdout instead of the table' },
  {
    name: 'workers',
    kind: 'int',
    value: 'W',
    default: Math.min(2, cpus().length),
    help: 'threads per run: data-parallel replicas, the main thread and W−1 worker threads',
  },
  {
    name: 'backend',
    kind: 'string',
    value: 'NAME',
    choices: NODE_BACKENDS,
    help: 'TensorFlow.js backend (default: ACON_BACKEND, else wasm)',
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
  { name: 'seeds', kind: 'int', value: 'K', default: 3, help: 'seeds per activation (1..K)' },
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
    default: Math.min(2, cpus().length),
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
  { name: 'seed', kind: 'int', value: 'S', default: 1, help: 'seed of initialisation and data order' },
  ...common.map((f) => (f.name === 'out' ? { ...f, default: 'runs/train' } : f)),
];

const USAGE = `usage: acon <command> [flags]

commands:
  compare   train the same network with several activations over several seeds; write results.json and report.html
  train     train one network with one activation and seed
  convert   a PyTorch .pth or .safetensors checkpoint → safetensors, or → a tfjs model directory of a zoo architecture
  inspect   list a checkpoint's tensors and its ACON layers with their learned "activate or not"
Run 'acon <command> --help' for its flags.`;

function positiveInt(command: string, flags: ParsedFlags, name: string): number {
  const v = flags[name] as number;
  if (!(Number.isInteger(v) && v >= 1)) throw new UsageError(`acon ${command}: --${name} must be a positive integer, got ${v}`);
  return v;
}

function toConfig(command: string, flags: ParsedFlags, activations: string[], seeds: number[]): ExperimentConfig {
  const repeats = flags.repeats as string[] | undefined;
  const perClass = flags['per-class'] as number | undefined;
  if (perClass !== undefined && perClass < 1) throw new UsageError(`acon ${command}: --per-class must be ≥ 1, got ${perClass}`);
  const data = flags.data as string | undefined;
  for (const name of ['lr', 'width'])
    if (!((flags[name] as number) > 0)) throw new UsageError(`acon ${command}: --${name} must be > 0, got ${flags[name]}`);
  const ls = flags['label-smoothing'] as number;
  if (!(ls >= 0 && ls < 1)) throw new UsageError(`acon ${command}: --label-smoothing must be in [0, 1), got ${ls}`);
  return {
    activations,
    seeds,
    model: flags.model as ModelName,
    widthMultiplier: flags.width as number,
    repeats: repeats?.map((r) => {
      const n = Number(r);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`acon ${command}: --repeats must be positive integers, got '${r}'`);
      return n;
    }),
    epochs: positiveInt(command, flags, 'epochs'),
    batchSize: positiveInt(command, flags, 'batch-size'),
    learningRate: flags.lr as number,
    momentum: flags.momentum as number,
    weightDecay: flags['weight-decay'] as number,
    labelSmoothing: ls,
    workers: positiveInt(command, flags, 'workers'),
    backend: flags.backend as NodeBackendName | undefined,
    data: {
      ...(data === 'sample' ? { source: 'sample' as const } : data !== undefined ? { dataDir: data } : {}),
      ...(flags.download ? { download: true } : {}),
      ...(perClass !== undefined ? { perClass: { train: perClass, test: Math.max(2, Math.ceil(perClass / 6)) } } : {}),
    },
    out: resolve(flags.out as string),
    resume: flags.resume === true,
    report: true,
  };
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  if (command === 'convert') return convertCommand(rest);
  if (command === 'inspect') return inspectCommand(rest);
  let cfg: ExperimentConfig;
  let torch: { nproc: number; torchrunArgs: string[] } | undefined;
  if (command === 'compare') {
    const flags = parseFlags(rest, compareFlags, command);
    if (flags.help) {
      console.log(
        renderHelp(
          'usage: acon compare [flags]',
          'Trains the same network with each activation and seed on Fashion-MNIST, then writes results.json and a self-contained report.html.',
          compareFlags,
        ),
      );
      return 0;
    }
    const seeds = Array.from({ length: positiveInt(command, flags, 'seeds') }, (_, i) => i + 1);
    cfg = toConfig(command, flags, flags.activations as string[], seeds);
    if (flags.engine === 'torch')
      torch = {
        nproc: positiveInt(command, flags, 'nproc'),
        torchrunArgs: ((flags['torchrun-args'] as string | undefined) ?? '').split(/\s+/).filter(Boolean),
      };
  } else if (command === 'train') {
    const flags = parseFlags(rest, trainFlags, command);
    if (flags.help) {
      console.log(
        renderHelp(
          'usage: acon train [flags]',
          'Trains one network with one activation and seed on Fashion-MNIST; writes results.json, report.html and checkpoints.',
          trainFlags,
        ),
      );
      return 0;
    }
    cfg = toConfig(command, flags, [flags.activation as string], [flags.seed as number]);
  } else {
    console.error(`acon: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  const json = rest.includes('--json');
  const { results, resultsPath, reportPath } = torch ? await runTorchExperiment(cfg, torch) : await runExperiment(cfg);
  if (json) {
    console.log(JSON.stringify(results, null, 1));
  } else {
    console.log(`\n${errorTable(results)}\n`);
    console.log(`results: ${resultsPath}`);
    if (reportPath) console.log(`report:  ${reportPath}`);
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // exitCode rather than exit(): a piped stdout (--json) must drain before the process ends.
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: Error) => {
      console.error(e instanceof UsageError ? e.message : `acon: ${e.message}`);
      if (process.env.ACON_DEBUG) console.error(e.stack);
      process.exitCode = e instanceof UsageError ? 2 : 1;
    },
  );
}
