/**
 * A ShuffleNetV2-style network for 28×28 inputs (Ma et al., ECCV 2018; the ACON paper's main
 * model). The official block: stride 1 — channel shuffle + split, then 1×1 → depthwise 3×3 → 1×1 on
 * one half, concatenated with the other; stride 2 — both branches see the whole input (the
 * projection branch is depthwise 3×3 s2 → 1×1). Every activation of the network (stem, after each
 * block's 1×1 convolutions, the last 1×1 conv) is the one under study, as in nmaac/acon.
 * Adapted to 28×28: a stride-1 3×3 stem and no max-pool, three stages at 28→14→7→4, and a
 * narrower last conv.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { TorchBatchNorm } from '../layers/torch_batch_norm.js';
import { makeActivation, type ActivationSpec } from './activation.js';
import { ChannelShuffleSplit } from '../layers/channel_shuffle.js';

type T = tfl.SymbolicTensor;

export interface ShuffleNetArgs {
  activation: ActivationSpec;
  /** 0.5 (default), 1, 1.5 or 2 as in the official widths; other values scale 0.5's widths. */
  widthMultiplier?: number;
  /** Blocks per stage; the official [4, 8, 4] by default. */
  stageRepeats?: number[];
  inputShape?: [number, number, number];
  numClasses?: number;
}

/** Output channels of [stem, stage 2, 3, 4, last conv] for a width multiplier. */
export function shuffleNetWidths(m: number): number[] {
  const official: Record<number, number[]> = {
    0.5: [24, 48, 96, 192, 512],
    1: [24, 116, 232, 464, 1024],
    1.5: [24, 176, 352, 704, 1024],
    2: [24, 244, 488, 976, 2048],
  };
  if (official[m]) return official[m];
  if (!(m > 0)) throw new Error(`shufflenet: widthMultiplier must be > 0, got ${m}`);
  return [24, ...[48, 96, 192].map((c) => 2 * Math.max(4, Math.round((c * m) / 0.5 / 2))), 512];
}

/** Blocks per stage when `stageRepeats` is not given (the paper's ShuffleNetV2). */
export const DEFAULT_STAGE_REPEATS: readonly number[] = [4, 8, 4];

export function buildShuffleNetV2(args: ShuffleNetArgs): tfl.LayersModel {
  const { activation, widthMultiplier = 0.5, stageRepeats = [...DEFAULT_STAGE_REPEATS], inputShape = [28, 28, 1], numClasses = 10 } = args;
  const widths = shuffleNetWidths(widthMultiplier);
  if (stageRepeats.length !== 3 || stageRepeats.some((r) => !Number.isInteger(r) || r < 1))
    throw new Error(`shufflenet: stageRepeats must be 3 positive integers, got [${stageRepeats}]`);

  const conv = (x: T, filters: number, kernelSize: number, strides: number, name: string) =>
    tfl.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, name }).apply(x) as T;
  const dw = (x: T, strides: number, name: string) =>
    tfl.layers.depthwiseConv2d({ kernelSize: 3, strides, padding: 'same', useBias: false, name }).apply(x) as T;
  const bn = (x: T, name: string) => new TorchBatchNorm({ name }).apply(x) as T;
  const act = (x: T, name: string) => makeActivation(activation, name).apply(x) as T;

  /** 1×1 → BN → act → dw 3×3 → BN → 1×1 → BN → act. */
  const mainBranch = (x: T, mid: number, out: number, stride: number, p: string) => {
    let h = act(bn(conv(x, mid, 1, 1, `${p}/conv1`), `${p}/bn1`), `${p}/act1`);
    h = bn(dw(h, stride, `${p}/dw`), `${p}/bn2`);
    return act(bn(conv(h, out, 1, 1, `${p}/conv2`), `${p}/bn3`), `${p}/act2`);
  };

  const input = tfl.input({ shape: inputShape, name: 'image' });
  let x = act(bn(conv(input, widths[0], 3, 1, 'stem/conv'), 'stem/bn'), 'stem/act');
  let inp = widths[0];
  stageRepeats.forEach((repeats, s) => {
    const oup = widths[s + 1];
    for (let b = 0; b < repeats; b++) {
      const p = `stage${s + 2}/block${b + 1}`;
      if (b === 0) {
        let proj = bn(dw(x, 2, `${p}/proj_dw`), `${p}/proj_bn1`);
        proj = act(bn(conv(proj, inp, 1, 1, `${p}/proj_conv`), `${p}/proj_bn2`), `${p}/proj_act`);
        const main = mainBranch(x, oup / 2, oup - inp, 2, p);
        x = tfl.layers.concatenate({ name: `${p}/concat` }).apply([proj, main]) as T;
      } else {
        const [keep, work] = new ChannelShuffleSplit({ name: `${p}/shuffle` }).apply(x) as T[];
        const main = mainBranch(work, oup / 2, oup / 2, 1, p);
        x = tfl.layers.concatenate({ name: `${p}/concat` }).apply([keep, main]) as T;
      }
      inp = oup;
    }
  });
  x = act(bn(conv(x, widths[4], 1, 1, 'last/conv'), 'last/bn'), 'last/act');
  x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as T;
  const logits = tfl.layers.dense({ units: numClasses, name: 'classifier' }).apply(x) as T;
  return tfl.model({ inputs: input, outputs: logits, name: 'shufflenetv2' });
}
