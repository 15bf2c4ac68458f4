/** Model factories for `parallel_training.bench.ts`; the benchmark's worker threads import this module. */
import * as tfl from '@tensorflow/tfjs-layers';
import { createModel } from '../src/models/factory.js';

/** The plain net: conv3×3 16 relu → conv3×3/2 32 relu → conv3×3/2 64 relu → global average pool → dense 10, on 28×28×1. */
export function plainNet(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tfl.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      tfl.layers.conv2d({ filters: 64, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({ units: 10 }),
    ],
  });
}

/** A dense stand-in trainable without the conv gradient kernels: 28×28×1 → 256 relu → 128 relu → 10. */
export function denseNet(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [28, 28, 1] }),
      tfl.layers.dense({ units: 256, activation: 'relu' }),
      tfl.layers.dense({ units: 128, activation: 'relu' }),
      tfl.layers.dense({ units: 10 }),
    ],
  });
}

/** The ShuffleNetV2-style network of `acon compare` (width 0.5, official [4, 8, 4] blocks) with ReLU. */
export function shuffleNet(): tfl.LayersModel {
  return createModel({ model: 'shufflenet', activation: 'relu', seed: 1 });
}

/**
 * The compare network that `npm start` trains (ShuffleNetV2 0.5x, stages 1,2,1) with one activation,
 * seed 1 as `acon compare`'s first seed.
 */
export function compareNet(options: { activation: string }): tfl.LayersModel {
  return createModel({ model: 'shufflenet', activation: options.activation, repeats: [1, 2, 1], seed: 1 });
}
