/**
 * PyTorch modules as tfjs layers, named by their module path so that the official state_dict loads
 * with no mapping (`interop.loadTorchStateDict`): `nn.Conv2d` (plain or depthwise) with PyTorch's
 * symmetric zero padding, `nn.BatchNorm2d` (TorchBatchNorm: eps 1e-5, momentum 0.1), `nn.MaxPool2d`
 * and the activations of the zoo.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { AconC, MetaAconC, TorchBatchNorm } from '../layers/index.js';
import { TorchMaxPool2d } from './torch_max_pool.js';

export type T = tfl.SymbolicTensor;
type Initializer = ReturnType<typeof tfl.initializers.zeros>;

/** The activations of the official models: ReLU (the baselines), ACON-C and Meta-ACON-C. */
export type ZooActivation = 'relu' | 'aconC' | 'metaAconC';
export const ZOO_ACTIVATIONS: readonly ZooActivation[] = ['relu', 'aconC', 'metaAconC'];

export function checkActivation(model: string, activation: unknown): ZooActivation {
  if (!ZOO_ACTIVATIONS.includes(activation as ZooActivation))
    throw new Error(`${model}: activation must be one of ${ZOO_ACTIVATIONS.map((a) => `'${a}'`).join(', ')}, got '${String(activation)}'`);
  return activation as ZooActivation;
}

export interface ConvSpec {
  /** The module path, e.g. `features.0.branch_main.3`. */
  name: string;
  filters: number;
  kernelSize: number;
  stride?: number;
  /** PyTorch's `padding` (the same on every side); default 0. */
  padding?: number;
  /** `groups = in_channels = out_channels` (the depthwise convolutions of ShuffleNetV2). */
  depthwise?: boolean;
  bias: boolean;
  kernelInitializer?: Initializer;
}

/**
 * `nn.Conv2d(in, filters, k, stride, padding, bias)`. tfjs's 'same' pads (k−1)/2 on both sides
 * only at stride 1; otherwise PyTorch's padding is an explicit `zeroPadding2d` (named
 * `<name>.pad`, no weights) before a 'valid' convolution.
 */
export function conv2d(x: T, spec: ConvSpec): T {
  const { name, filters, kernelSize, stride = 1, padding = 0, depthwise = false, bias, kernelInitializer } = spec;
  let padMode: 'same' | 'valid' = 'valid';
  if (padding > 0 && stride === 1 && kernelSize % 2 === 1 && 2 * padding === kernelSize - 1) padMode = 'same';
  else if (padding > 0) x = tfl.layers.zeroPadding2d({ padding, name: `${name}.pad` }).apply(x) as T;
  const common = { kernelSize, strides: stride, padding: padMode, useBias: bias, name };
  if (depthwise) {
    const channels = x.shape[x.shape.length - 1];
    if (channels !== filters)
      throw new Error(`conv2d '${name}': a depthwise conv keeps the channels, but the input has ${channels} and filters is ${filters}`);
    return tfl.layers.depthwiseConv2d({ ...common, depthMultiplier: 1, depthwiseInitializer: kernelInitializer }).apply(x) as T;
  }
  return tfl.layers.conv2d({ ...common, filters, kernelInitializer }).apply(x) as T;
}

/** `nn.BatchNorm2d` with PyTorch's semantics. */
export function batchNorm2d(x: T, name: string): T {
  return new TorchBatchNorm({ name }).apply(x) as T;
}

/** `nn.MaxPool2d(kernelSize, stride, padding)` (−∞ padding). */
export function maxPool2d(x: T, name: string, kernelSize: number, stride: number, padding: number): T {
  return new TorchMaxPool2d({ name, kernelSize, stride, padding }).apply(x) as T;
}

/** The activation module: `nn.ReLU`, `AconC(C)` or `MetaAconC(C, r)` (official initialisation). */
export function activation(x: T, kind: ZooActivation, name: string, r = 16): T {
  const layer = kind === 'relu' ? tfl.layers.reLU({ name }) : kind === 'aconC' ? new AconC({ name }) : new MetaAconC({ name, r });
  return layer.apply(x) as T;
}
