/**
 * The model zoo: the official nmaac/acon ImageNet architectures (and their ReLU baselines) with
 * PyTorch-exact padding, pooling and batch norm, and layers named by the official state_dict
 * module paths. Browser-safe.
 */
export { shuffleNetV2, SHUFFLENET_V2_CHANNELS, type ShuffleNetV2Options, type ShuffleNetV2Size } from './shufflenet_v2.js';
export {
  resnet,
  resnetPreset,
  resnet18,
  resnet34,
  resnet50,
  resnet101,
  resnet152,
  RESNET_PRESETS,
  type ResNetOptions,
  type ResNetBlock,
  type ResNetDepth,
} from './resnet.js';
export { TorchMaxPool2d, type TorchMaxPool2dArgs } from './torch_max_pool.js';
export { ZOO_ACTIVATIONS, type ZooActivation } from './torch_modules.js';
