/**
 * A small ResNet with bottleneck blocks (He et al., 2016) for 28×28 inputs. Following the official
 * ACON ResNets, only the activation after each bottleneck's 3×3 convolution is the one under study;
 * the others stay ReLU.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { TorchBatchNorm } from '../layers/torch_batch_norm.js';
import { makeActivation, type ActivationSpec } from './activation.js';

type T = tfl.SymbolicTensor;

export interface ResNetArgs {
  activation: ActivationSpec;
  /** Bottleneck width of each stage (outputs are 4×). Default [16, 32, 64]. */
  widths?: number[];
  /** Blocks per stage. Default [2, 2, 2]. */
  blocks?: number[];
  inputShape?: [number, number, number];
  numClasses?: number;
}

const EXPANSION = 4;

/** Blocks per stage when `blocks` is not given. */
export const DEFAULT_BLOCKS: readonly number[] = [2, 2, 2];

export function buildResNet(args: ResNetArgs): tfl.LayersModel {
  const { activation, widths = [16, 32, 64], blocks = [...DEFAULT_BLOCKS], inputShape = [28, 28, 1], numClasses = 10 } = args;
  if (widths.length !== blocks.length) throw new Error(`resnet: widths [${widths}] and blocks [${blocks}] must have the same length`);
  const conv = (x: T, filters: number, kernelSize: number, strides: number, name: string) =>
    tfl.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, name }).apply(x) as T;
  const bn = (x: T, name: string) => new TorchBatchNorm({ name }).apply(x) as T;
  const relu = (x: T, name: string) => tfl.layers.reLU({ name }).apply(x) as T;

  const input = tfl.input({ shape: inputShape, name: 'image' });
  let x = relu(bn(conv(input, widths[0], 3, 1, 'stem/conv'), 'stem/bn'), 'stem/relu');
  let channels = widths[0];
  widths.forEach((w, s) => {
    for (let b = 0; b < blocks[s]; b++) {
      const p = `stage${s + 1}/block${b + 1}`;
      const stride = b === 0 && s > 0 ? 2 : 1;
      let h = relu(bn(conv(x, w, 1, 1, `${p}/conv1`), `${p}/bn1`), `${p}/relu1`);
      h = makeActivation(activation, `${p}/act`).apply(bn(conv(h, w, 3, stride, `${p}/conv2`), `${p}/bn2`)) as T;
      h = bn(conv(h, w * EXPANSION, 1, 1, `${p}/conv3`), `${p}/bn3`);
      const shortcut =
        stride !== 1 || channels !== w * EXPANSION ? bn(conv(x, w * EXPANSION, 1, stride, `${p}/down_conv`), `${p}/down_bn`) : x;
      x = relu(tfl.layers.add({ name: `${p}/add` }).apply([h, shortcut]) as T, `${p}/relu3`);
      channels = w * EXPANSION;
    }
  });
  x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as T;
  const logits = tfl.layers.dense({ units: numClasses, name: 'classifier' }).apply(x) as T;
  return tfl.model({ inputs: input, outputs: logits, name: 'resnet' });
}
