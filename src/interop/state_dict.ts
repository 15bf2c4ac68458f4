/**
 * The mapping between PyTorch state_dict entries of the official modules (nmaac/acon `AconC`,
 * `MetaAconC`, and ACON-A/B written the same way) and our layers' `getWeights()` order.
 * PyTorch stores per-channel parameters as `[1,C,1,1]` and 1×1 conv weights as `[out,in,1,1]`;
 * ours are `[C]` and dense kernels `[in,out]`.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A tensor as plain data: shape plus flat row-major values. */
export interface PlainTensor {
  shape: number[];
  data: ArrayLike<number>;
}

export type TorchModuleName = 'AconA' | 'AconB' | 'AconC' | 'MetaAconC';

/** state_dict keys of each module in our weight order (trainable, then BN running statistics). */
export const TORCH_WEIGHT_ORDER: Record<TorchModuleName, string[]> = {
  AconA: ['beta'],
  AconB: ['p', 'beta'],
  AconC: ['p1', 'p2', 'beta'],
  MetaAconC: [
    'p1',
    'p2',
    'fc1.weight',
    'fc1.bias',
    'bn1.weight',
    'bn1.bias',
    'fc2.weight',
    'fc2.bias',
    'bn2.weight',
    'bn2.bias',
    'bn1.running_mean',
    'bn1.running_var',
    'bn2.running_mean',
    'bn2.running_var',
  ],
};

/** Converts one state_dict entry to our layout: conv `[out,in,1,1]` → `[in,out]`, anything else flattened. */
export function torchToLayerTensor(key: string, t: PlainTensor): tf.Tensor {
  const values = Float32Array.from(t.data);
  if (t.shape.length === 4 && key.endsWith('.weight') && t.shape[2] === 1 && t.shape[3] === 1) {
    return tf.tidy(() => tf.transpose(tf.tensor2d(values, [t.shape[0], t.shape[1]])));
  }
  return tf.tensor1d(values);
}

/** Our weights for `module` from a state_dict (keys without the module's prefix). */
export function layerWeightsFromTorch(module: TorchModuleName, stateDict: Record<string, PlainTensor>): tf.Tensor[] {
  return TORCH_WEIGHT_ORDER[module].map((key) => {
    const t = stateDict[key];
    if (!t) throw new Error(`${module}: state_dict has no '${key}' (has ${Object.keys(stateDict).join(', ')})`);
    return torchToLayerTensor(key, t);
  });
}
