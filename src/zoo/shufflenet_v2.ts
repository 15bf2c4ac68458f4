/**
 * ShuffleNetV2 for ImageNet (Ma et al., ECCV 2018) as the official ACON code builds it:
 * nmaac/acon `ACON/ShuffleNetV2_ACON/network.py` (ACON-C) and `MetaACON/ShuffleNet_MetaACON/network.py`
 * (Meta-ACON-C, r = 8 for 0.5x and 16 otherwise), and for ReLU the original
 * megvii-model/ShuffleNet-Series `ShuffleNetV2` (the paper's baseline). Every activation of the network
 * is the one chosen. The ACON variants have biases on every conv and on the classifier; the ReLU
 * baseline has none.
 *
 * Layers are named by the official module paths (`first_conv.0`, `features.3.branch_main.5`,
 * `conv_last.2`, `classifier.0`, …), so the official state_dict loads with no mapping.
 * Input NHWC `[N, inputSize, inputSize, 3]`, output logits `[N, numClasses]`.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { ChannelShuffleSplit } from '../layers/channel_shuffle.js';
import { activation, batchNorm2d, checkActivation, conv2d, maxPool2d, type T, type ZooActivation } from './torch_modules.js';

export type ShuffleNetV2Size = '0.5x' | '1.0x' | '1.5x' | '2.0x';

export interface ShuffleNetV2Options {
  size: ShuffleNetV2Size;
  activation: ZooActivation;
  numClasses?: number;
  /** Height and width of the input, a multiple of 32; default 224 (the last feature map is then 7×7). */
  inputSize?: number;
}

/** `stage_out_channels[1:]` of the official code: stem, stages 2–4, last conv. */
export const SHUFFLENET_V2_CHANNELS: Record<ShuffleNetV2Size, readonly number[]> = {
  '0.5x': [24, 48, 96, 192, 1024],
  '1.0x': [24, 116, 232, 464, 1024],
  '1.5x': [24, 176, 352, 704, 1024],
  '2.0x': [24, 244, 488, 976, 2048],
};
const STAGE_REPEATS = [4, 8, 4];

/** The official `_initialize_weights`: conv weights N(0, 0.01) in `first_conv`, else N(0, 1/(in channels per group)). */
const convInit = (name: string, inPerGroup: number) =>
  tfl.initializers.randomNormal({ mean: 0, stddev: name.startsWith('first') ? 0.01 : 1 / inPerGroup });

export function shuffleNetV2(options: ShuffleNetV2Options): tfl.LayersModel {
  const { size, numClasses = 1000, inputSize = 224 } = options;
  const channels = SHUFFLENET_V2_CHANNELS[size];
  if (!channels)
    throw new Error(`shuffleNetV2: size must be one of ${Object.keys(SHUFFLENET_V2_CHANNELS).join(', ')}, got '${String(size)}'`);
  const kind = checkActivation('shuffleNetV2', options.activation);
  if (!Number.isInteger(numClasses) || numClasses < 1)
    throw new Error(`shuffleNetV2: numClasses must be a positive integer, got ${numClasses}`);
  if (!Number.isInteger(inputSize) || inputSize < 32 || inputSize % 32 !== 0)
    throw new Error(`shuffleNetV2: inputSize must be a positive multiple of 32, got ${inputSize}`);
  const bias = kind !== 'relu';
  const r = kind === 'metaAconC' && size === '0.5x' ? 8 : 16;

  const pw = (x: T, name: string, filters: number) =>
    conv2d(x, { name, filters, kernelSize: 1, bias, kernelInitializer: convInit(name, x.shape[3]!) });
  const dw = (x: T, name: string, stride: number) =>
    conv2d(x, {
      name,
      filters: x.shape[3]!,
      kernelSize: 3,
      stride,
      padding: 1,
      depthwise: true,
      bias,
      kernelInitializer: convInit(name, 1),
    });
  const act = (x: T, name: string) => activation(x, kind, name, r);

  /** `ShuffleV2Block`'s branch_main: pw → BN → act → dw → BN → pw-linear → BN → act. */
  const branchMain = (x: T, p: string, mid: number, outputs: number, stride: number) => {
    let h = act(batchNorm2d(pw(x, `${p}.0`, mid), `${p}.1`), `${p}.2`);
    h = batchNorm2d(dw(h, `${p}.3`, stride), `${p}.4`);
    return act(batchNorm2d(pw(h, `${p}.5`, outputs), `${p}.6`), `${p}.7`);
  };
  /** branch_proj (stride 2): dw → BN → pw-linear → BN → act. */
  const branchProj = (x: T, p: string) => {
    const h = batchNorm2d(dw(x, `${p}.0`, 2), `${p}.1`);
    return act(batchNorm2d(pw(h, `${p}.2`, x.shape[3]!), `${p}.3`), `${p}.4`);
  };

  const input = tfl.input({ shape: [inputSize, inputSize, 3], name: 'input' });
  let x = conv2d(input, {
    name: 'first_conv.0',
    filters: channels[0],
    kernelSize: 3,
    stride: 2,
    padding: 1,
    bias,
    kernelInitializer: convInit('first_conv.0', 3),
  });
  x = act(batchNorm2d(x, 'first_conv.1'), 'first_conv.2');
  x = maxPool2d(x, 'maxpool', 3, 2, 1);
  let block = 0;
  STAGE_REPEATS.forEach((repeats, stage) => {
    const out = channels[stage + 1];
    for (let i = 0; i < repeats; i++, block++) {
      const p = `features.${block}`;
      const inp = x.shape[3]!;
      let proj: T, main: T;
      if (i === 0) {
        proj = branchProj(x, `${p}.branch_proj`);
        main = branchMain(x, `${p}.branch_main`, out / 2, out - inp, 2);
      } else {
        // channel_shuffle: the even channels pass through, the odd ones go through branch_main.
        const [even, odd] = new ChannelShuffleSplit({ name: `${p}.channel_shuffle` }).apply(x) as T[];
        proj = even;
        main = branchMain(odd, `${p}.branch_main`, out / 2, out - inp / 2, 1);
      }
      x = tfl.layers.concatenate({ axis: -1, name: `${p}.cat` }).apply([proj, main]) as T;
    }
  });
  x = act(batchNorm2d(pw(x, 'conv_last.0', channels[4]), 'conv_last.1'), 'conv_last.2');
  // The official AvgPool2d(7) on the 7×7 map of a 224 input: the global average.
  x = tfl.layers.globalAveragePooling2d({ name: 'globalpool' }).apply(x) as T;
  if (size === '2.0x') x = tfl.layers.dropout({ rate: 0.2, name: 'dropout' }).apply(x) as T;
  const logits = tfl.layers
    .dense({
      units: numClasses,
      useBias: bias,
      name: 'classifier.0',
      kernelInitializer: tfl.initializers.randomNormal({ mean: 0, stddev: 0.01 }),
    })
    .apply(x) as T;
  return tfl.model({ inputs: input, outputs: logits, name: `shufflenetv2_${size}_${kind}` });
}
