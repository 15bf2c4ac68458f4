/**
 * ResNet for ImageNet (He et al., CVPR 2016) as the official ACON code builds it: nmaac/acon
 * `ACON/ResNet_ACON/resnet_acon.py` (ACON-C) and `MetaACON/ResNet_MetaACON/resnet_metaacon.py`
 * (Meta-ACON-C, r = 16), and for ReLU torchvision's `resnet` (the paper's baseline).
 *
 * - Bottleneck: only the activation after the 3×3 conv is ACON (`acon`); the one after conv1 and the
 *   one after the residual sum stay ReLU. The ACON code puts the stride on conv1 (1×1), torchvision
 *   on conv2 (3×3).
 * - Basic block: ACON-C replaces both ReLUs (`acon1` after bn1, `acon2` after the sum). The official
 *   code has no Meta-ACON basic block; `metaAconC` builds it the same way with MetaAconC(planes).
 * - The ACON variants have biases on every conv; torchvision's have none. `fc` has a bias in all.
 *
 * Layers are named by the official module paths (`conv1`, `layer2.0.downsample.0`, `layer3.1.acon`,
 * `fc`, …), so the official state_dict loads with no mapping. Input NHWC `[N,224,224,3]` (any size
 * ≥ 32 works: the pool is adaptive), output logits `[N, numClasses]`.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { activation, batchNorm2d, checkActivation, conv2d, maxPool2d, type T, type ZooActivation } from './torch_modules.js';

export type ResNetBlock = 'basic' | 'bottleneck';

export interface ResNetOptions {
  block: ResNetBlock;
  /** Blocks in each of the four stages, e.g. [3, 4, 6, 3] for ResNet-50. */
  layers: number[];
  activation: ZooActivation;
  numClasses?: number;
  inputSize?: number;
}

export const RESNET_PRESETS = {
  18: { block: 'basic', layers: [2, 2, 2, 2] },
  34: { block: 'basic', layers: [3, 4, 6, 3] },
  50: { block: 'bottleneck', layers: [3, 4, 6, 3] },
  101: { block: 'bottleneck', layers: [3, 4, 23, 3] },
  152: { block: 'bottleneck', layers: [3, 8, 36, 3] },
} as const satisfies Record<number, { block: ResNetBlock; layers: number[] }>;
export type ResNetDepth = keyof typeof RESNET_PRESETS;

const EXPANSION: Record<ResNetBlock, number> = { basic: 1, bottleneck: 4 };
/** `kaiming_normal_(mode='fan_out', nonlinearity='relu')`, as the official code initialises every conv. */
const kaimingFanOut = (filters: number, kernelSize: number) =>
  tfl.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / (filters * kernelSize * kernelSize)) });

export function resnet(options: ResNetOptions): tfl.LayersModel {
  const { block, layers, numClasses = 1000, inputSize = 224 } = options;
  if (block !== 'basic' && block !== 'bottleneck') throw new Error(`resnet: block must be 'basic' or 'bottleneck', got '${String(block)}'`);
  if (!Array.isArray(layers) || layers.length !== 4 || layers.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`resnet: layers must be 4 positive integers (blocks per stage), got [${String(layers)}]`);
  const kind = checkActivation('resnet', options.activation);
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`resnet: numClasses must be a positive integer, got ${numClasses}`);
  if (!Number.isInteger(inputSize) || inputSize < 32) throw new Error(`resnet: inputSize must be an integer >= 32, got ${inputSize}`);
  const bias = kind !== 'relu';
  const expansion = EXPANSION[block];

  const conv = (x: T, name: string, filters: number, kernelSize: number, stride: number) =>
    conv2d(x, {
      name,
      filters,
      kernelSize,
      stride,
      padding: (kernelSize - 1) / 2,
      bias,
      kernelInitializer: kaimingFanOut(filters, kernelSize),
    });
  const relu = (x: T, name: string) => tfl.layers.reLU({ name }).apply(x) as T;
  const add = (a: T, b: T, name: string) => tfl.layers.add({ name }).apply([a, b]) as T;

  const bottleneck = (x: T, p: string, planes: number, stride: number, identity: T) => {
    const [stride1, stride2] = kind === 'relu' ? [1, stride] : [stride, 1];
    let h = relu(batchNorm2d(conv(x, `${p}.conv1`, planes, 1, stride1), `${p}.bn1`), `${p}.relu`);
    h = batchNorm2d(conv(h, `${p}.conv2`, planes, 3, stride2), `${p}.bn2`);
    h = kind === 'relu' ? relu(h, `${p}.relu_2`) : activation(h, kind, `${p}.acon`);
    h = batchNorm2d(conv(h, `${p}.conv3`, planes * expansion, 1, 1), `${p}.bn3`);
    return relu(add(h, identity, `${p}.add`), `${p}.relu_3`);
  };
  const basic = (x: T, p: string, planes: number, stride: number, identity: T) => {
    const act = (v: T, k: number) =>
      kind === 'relu' ? relu(v, k === 1 ? `${p}.relu` : `${p}.relu_2`) : activation(v, kind, `${p}.acon${k}`);
    const h = act(batchNorm2d(conv(x, `${p}.conv1`, planes, 3, stride), `${p}.bn1`), 1);
    return act(add(batchNorm2d(conv(h, `${p}.conv2`, planes, 3, 1), `${p}.bn2`), identity, `${p}.add`), 2);
  };

  const input = tfl.input({ shape: [inputSize, inputSize, 3], name: 'input' });
  let x = relu(batchNorm2d(conv(input, 'conv1', 64, 7, 2), 'bn1'), 'relu');
  x = maxPool2d(x, 'maxpool', 3, 2, 1);
  let inplanes = 64;
  layers.forEach((blocks, s) => {
    const planes = 64 * 2 ** s;
    for (let b = 0; b < blocks; b++) {
      const p = `layer${s + 1}.${b}`;
      const stride = b === 0 && s > 0 ? 2 : 1;
      const identity =
        stride !== 1 || inplanes !== planes * expansion
          ? batchNorm2d(conv(x, `${p}.downsample.0`, planes * expansion, 1, stride), `${p}.downsample.1`)
          : x;
      x = (block === 'bottleneck' ? bottleneck : basic)(x, p, planes, stride, identity);
      inplanes = planes * expansion;
    }
  });
  x = tfl.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x) as T;
  const logits = tfl.layers.dense({ units: numClasses, name: 'fc' }).apply(x) as T;
  const depth = Object.entries(RESNET_PRESETS).find(([, v]) => v.block === block && v.layers.join() === layers.join())?.[0];
  return tfl.model({ inputs: input, outputs: logits, name: `resnet${depth ?? `_${block}_${layers.join('')}`}_${kind}` });
}

/** A preset: ResNet-18/34 (basic) or -50/101/152 (bottleneck). */
export function resnetPreset(depth: ResNetDepth, options: Omit<ResNetOptions, 'block' | 'layers'>): tfl.LayersModel {
  const preset = RESNET_PRESETS[depth];
  if (!preset) throw new Error(`resnet: no preset for depth ${depth}; presets are ${Object.keys(RESNET_PRESETS).join(', ')}`);
  return resnet({ ...options, block: preset.block, layers: [...preset.layers] });
}

export const resnet18 = (o: Omit<ResNetOptions, 'block' | 'layers'>) => resnetPreset(18, o);
export const resnet34 = (o: Omit<ResNetOptions, 'block' | 'layers'>) => resnetPreset(34, o);
export const resnet50 = (o: Omit<ResNetOptions, 'block' | 'layers'>) => resnetPreset(50, o);
export const resnet101 = (o: Omit<ResNetOptions, 'block' | 'layers'>) => resnetPreset(101, o);
export const resnet152 = (o: Omit<ResNetOptions, 'block' | 'layers'>) => resnetPreset(152, o);
