/** Network builders for the experiments and the activation factory they share. */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ActivationSpec } from './activation.js';
import { buildResNet } from './resnet.js';
import { buildShuffleNetV2 } from './shufflenet.js';

export {
  ACTIVATION_KINDS,
  formatActivation,
  makeActivation,
  parseActivation,
  type ActivationKind,
  type ActivationSpec,
} from './activation.js';
export { countMacs } from './flops.js';
export { buildResNet, type ResNetArgs } from './resnet.js';
export { buildShuffleNetV2, shuffleNetWidths, type ShuffleNetArgs } from './shufflenet.js';

export const MODEL_NAMES = ['shufflenet', 'resnet'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface ModelOptions {
  model: ModelName;
  activation: ActivationSpec;
  widthMultiplier?: number;
  /** ShuffleNet: blocks per stage; ResNet: blocks per stage. */
  repeats?: number[];
  inputShape?: [number, number, number];
  numClasses?: number;
}

export function buildModel(o: ModelOptions): tfl.LayersModel {
  switch (o.model) {
    case 'shufflenet':
      return buildShuffleNetV2({
        activation: o.activation,
        widthMultiplier: o.widthMultiplier,
        stageRepeats: o.repeats,
        inputShape: o.inputShape,
        numClasses: o.numClasses,
      });
    case 'resnet':
      return buildResNet({ activation: o.activation, blocks: o.repeats, inputShape: o.inputShape, numClasses: o.numClasses });
    default:
      throw new Error(`unknown model '${String((o as { model: unknown }).model)}'; expected one of shufflenet, resnet`);
  }
}
