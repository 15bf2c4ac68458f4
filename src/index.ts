/**
 * acon: the ACON family of learnable activations ("Activate or Not", Ma et al., CVPR 2021) for
 * TensorFlow.js. Importing registers the fused kernels, their gradients and the layer classes.
 */
export * as ops from './ops/index.js';
export * as layers from './layers/index.js';
export * as math from './math/acon.js';
export { AconA, AconB, AconC, MetaAconC, TorchBatchNorm } from './layers/index.js';
export type {
  AconLayerArgs,
  AconBLayerArgs,
  AconCLayerArgs,
  MetaAconCLayerArgs,
  TorchBatchNormLayerArgs,
  AconPreset,
  MetaAconGranularity,
  MetaAconNormalization,
} from './layers/index.js';
export * as models from './models/index.js';
export * as interop from './interop/index.js';
export * as zoo from './zoo/index.js';
