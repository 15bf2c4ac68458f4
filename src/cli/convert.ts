/**
 * `acon convert IN --to OUT.safetensors` and `acon convert IN --to-tfjs DIR --zoo SPEC`: a PyTorch
 * `.pth`, a `.safetensors` file or a tfjs model directory → a safetensors state_dict (PyTorch names
 * and layouts), and/or → a tfjs model directory (`tf.loadLayersModel`-loadable) of a zoo
 * architecture with the checkpoint's weights.
 */
import { basename, resolve } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { writeSafetensors } from '../interop/safetensors.js';
import { loadTorchStateDict } from '../interop/state_dict.js';
import { initNodeBackend, NODE_BACKENDS } from '../node/backend.js';
import { saveModel } from '../node/model_files.js';
import { writeFileAtomic } from '../util/atomic_file.js';
import {
  RESNET_PRESETS,
  resnet,
  shuffleNetV2,
  SHUFFLENET_V2_CHANNELS,
  ZOO_ACTIVATIONS,
  type ShuffleNetV2Size,
  type ZooActivation,
} from '../zoo/index.js';
import { parseFlags, renderHelp, UsageError, type FlagSpec } from './args.js';
import { disposeCheckpoint, readCheckpoint, splitPositionals, stateDictOf } from './checkpoint_input.js';

const flags: FlagSpec[] = [
  { name: 'to', kind: 'string', value: 'FILE', help: 'write the state_dict as safetensors (float32/int32, keys sorted)' },
  { name: 'to-tfjs', kind: 'string', value: 'DIR', help: 'write a tfjs model directory (model.json + weights.bin); needs --zoo' },
  {
    name: 'zoo',
    kind: 'string',
    value: 'SPEC',
    help: 'the architecture: shufflenetv2:SIZE:ACT[:CLASSES] (SIZE 0.5x|1.0x|1.5x|2.0x) or resnet:DEPTH:ACT[:CLASSES] (DEPTH 18|34|50|101|152, or basic-L1,L2,L3,L4 / bottleneck-L1,L2,L3,L4); ACT relu|aconC|metaAconC',
  },
  { name: 'input-size', kind: 'int', value: 'S', help: 'ShuffleNetV2 input size (default 224)' },
  { name: 'strip-prefix', kind: 'string', value: 'P', help: "remove this prefix from tensor names (DataParallel's 'module.')" },
  { name: 'backend', kind: 'string', value: 'NAME', choices: NODE_BACKENDS, default: 'cpu', help: 'TensorFlow.js backend' },
  { name: 'help', kind: 'bool', help: 'show this help' },
];

const USAGE = 'usage: acon convert IN --to OUT.safetensors | --to-tfjs DIR --zoo SPEC';
const DESCRIPTION =
  'Converts a PyTorch checkpoint (.pth zip of torch.save ≥ 1.6, the state_dict possibly under state_dict/model), a .safetensors file, ' +
  'or a tfjs model directory. --to writes its state_dict as safetensors; --to-tfjs builds the --zoo architecture, loads the weights ' +
  '(every key must match) and saves a directory that tf.loadLayersModel reads. The file is never executed: its pickle may only hold tensors.';

export interface ZooSpec {
  family: 'shufflenetv2' | 'resnet';
  build: (options: { inputSize?: number }) => tfl.LayersModel;
  description: string;
}

function activationOf(spec: string, act: string | undefined): ZooActivation {
  if (!ZOO_ACTIVATIONS.includes(act as ZooActivation))
    throw new UsageError(`acon convert: --zoo '${spec}': activation must be one of ${ZOO_ACTIVATIONS.join(', ')}, got '${act ?? ''}'`);
  return act as ZooActivation;
}

function classesOf(spec: string, c: string | undefined): number {
  if (c === undefined) return 1000;
  const n = Number(c);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`acon convert: --zoo '${spec}': classes must be a positive integer, got '${c}'`);
  return n;
}

/** Parses `shufflenetv2:SIZE:ACT[:CLASSES]` and `resnet:DEPTH|basic-L,L,L,L|bottleneck-L,L,L,L:ACT[:CLASSES]`. */
export function parseZooSpec(spec: string): ZooSpec {
  const [family, shape, act, classes, ...extra] = spec.split(':');
  if (extra.length) throw new UsageError(`acon convert: --zoo '${spec}' has too many ':' fields`);
  if (family === 'shufflenetv2') {
    if (!(shape in SHUFFLENET_V2_CHANNELS))
      throw new UsageError(
        `acon convert: --zoo '${spec}': ShuffleNetV2 size must be one of ${Object.keys(SHUFFLENET_V2_CHANNELS).join(', ')}, got '${shape ?? ''}'`,
      );
    const activation = activationOf(spec, act);
    const numClasses = classesOf(spec, classes);
    return {
      family,
      description: `ShuffleNetV2 ${shape} ${activation}, ${numClasses} classes`,
      build: ({ inputSize }) =>
        shuffleNetV2({ size: shape as ShuffleNetV2Size, activation, numClasses, ...(inputSize ? { inputSize } : {}) }),
    };
  }
  if (family === 'resnet') {
    const preset = RESNET_PRESETS[Number(shape) as keyof typeof RESNET_PRESETS];
    const custom = /^(basic|bottleneck)-(\d+),(\d+),(\d+),(\d+)$/.exec(shape ?? '');
    if (!preset && !custom)
      throw new UsageError(
        `acon convert: --zoo '${spec}': ResNet depth must be one of ${Object.keys(RESNET_PRESETS).join(', ')} or basic-L1,L2,L3,L4 / bottleneck-L1,L2,L3,L4, got '${shape ?? ''}'`,
      );
    const block = preset ? preset.block : (custom![1] as 'basic' | 'bottleneck');
    const layers = preset ? [...preset.layers] : custom!.slice(2).map(Number);
    const activation = activationOf(spec, act);
    const numClasses = classesOf(spec, classes);
    return {
      family,
      description: `ResNet ${block} [${layers}] ${activation}, ${numClasses} classes`,
      build: () => resnet({ block, layers, activation, numClasses }),
    };
  }
  throw new UsageError(`acon convert: --zoo '${spec}': the family must be shufflenetv2 or resnet`);
}

export async function convertCommand(argv: string[]): Promise<number> {
  const { positionals, flags: rest } = splitPositionals(argv, flags);
  const f = parseFlags(rest, flags, 'convert');
  if (f.help) {
    console.log(renderHelp(USAGE, DESCRIPTION, flags));
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(`acon convert: expects one input file, got ${positionals.length ? positionals.join(' ') : 'none'} (${USAGE})`);
  const to = f.to as string | undefined;
  const toTfjs = f['to-tfjs'] as string | undefined;
  if (!to && !toTfjs) throw new UsageError(`acon convert: give --to OUT.safetensors and/or --to-tfjs DIR (${USAGE})`);
  if (toTfjs && !f.zoo)
    throw new UsageError('acon convert: --to-tfjs needs --zoo SPEC, the architecture to build (see acon convert --help)');
  const zooSpec = f.zoo ? parseZooSpec(f.zoo as string) : undefined;
  if (zooSpec && !toTfjs) throw new UsageError('acon convert: --zoo is only used with --to-tfjs');
  if (f['input-size'] !== undefined && zooSpec?.family !== 'shufflenetv2')
    throw new UsageError('acon convert: --input-size applies to shufflenetv2 only');

  await initNodeBackend({ backend: f.backend as (typeof NODE_BACKENDS)[number], log: () => {} });
  const input = positionals[0];
  const checkpoint = await readCheckpoint(input, { stripPrefix: f['strip-prefix'] as string | undefined });
  try {
    const stateDict = stateDictOf(checkpoint);
    console.log(`${input}: ${checkpoint.format}, ${checkpoint.tensors.length} tensors`);
    if (to) {
      writeFileAtomic(resolve(to), writeSafetensors(stateDict, { format: 'pt' }));
      console.log(`wrote ${to} (${checkpoint.tensors.length} tensors)`);
    }
    if (toTfjs && zooSpec) {
      const model = zooSpec.build({ inputSize: f['input-size'] as number | undefined });
      try {
        const { loaded } = loadTorchStateDict(model, stateDict, { warn: (m) => console.error(m) });
        await saveModel(model, resolve(toTfjs));
        console.log(
          `wrote ${toTfjs} (${zooSpec.description}: ${loaded.length} tensors loaded, ${model.countParams()} parameters; ${basename(toTfjs)}/model.json)`,
        );
      } finally {
        model.dispose();
      }
    }
  } finally {
    disposeCheckpoint(checkpoint);
  }
  return 0;
}
