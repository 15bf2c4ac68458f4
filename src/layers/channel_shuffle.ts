/**
 * ShuffleNetV2's channel shuffle + split (Ma et al., ECCV 2018), channels last: splits x
 * `[..., C]` into its even and odd channels `[..., C/2]` each, as the official `channel_shuffle`
 * does before a stride-1 block. Together with the concatenation that ends each block, this is the
 * channel shuffle.
 *
 * Optional kernels (acon/node registers them for wasm and cpu; elsewhere the layer composes
 * reshape, transpose and split), float32 channels last:
 *   `AconChannelShuffleSplit` {x [..., C]} → [even [..., C/2], odd [..., C/2]]: even[i] = x[2i], odd[i] = x[2i + 1]
 *   `AconChannelShuffleMerge` {even, odd} → x: the inverse, and the split's gradient
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export const CHANNEL_SHUFFLE_SPLIT = 'AconChannelShuffleSplit';
export const CHANNEL_SHUFFLE_MERGE = 'AconChannelShuffleMerge';

tf.registerGradient({
  kernelName: CHANNEL_SHUFFLE_SPLIT,
  // The engine hands zeros for an output that does not reach the loss.
  gradFunc: (dys) => {
    const [dEven, dOdd] = dys as tf.Tensor[];
    return { x: () => tf.engine().runKernel(CHANNEL_SHUFFLE_MERGE, { even: dEven, odd: dOdd }) as tf.Tensor };
  },
});

/** x's even and odd channels, by the fused kernel where the backend has it, else by reshape, transpose and split. */
export function channelShuffleSplit(x: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const backend = tf.getBackend();
  if (x.dtype === 'float32' && tf.getKernel(CHANNEL_SHUFFLE_SPLIT, backend) && tf.getKernel(CHANNEL_SHUFFLE_MERGE, backend))
    return tf.engine().runKernel(CHANNEL_SHUFFLE_SPLIT, { x }) as unknown as [tf.Tensor, tf.Tensor];
  return tf.tidy(() => {
    const C = x.shape[x.rank - 1];
    // [..., C/2, 2] → [..., 2, C/2]: even channels first, then odd; then two contiguous halves.
    const lead = x.shape.slice(0, -1);
    const pairs = tf.reshape(x, [...lead, C / 2, 2]);
    const perm = [...lead.map((_, i) => i), x.rank, x.rank - 1];
    return tf.split(tf.reshape(tf.transpose(pairs, perm), x.shape), 2, x.rank - 1) as [tf.Tensor, tf.Tensor];
  });
}

type Shape = (number | null)[];

export class ChannelShuffleSplit extends tfl.layers.Layer {
  static className = 'ChannelShuffleSplit';

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const C = shape[shape.length - 1];
    if (C === null || C % 2 !== 0) throw new Error(`ChannelShuffleSplit: needs an even, known channel count, got input shape [${shape}]`);
    const half = [...shape.slice(0, -1), C / 2];
    return [half, half.slice()];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    return channelShuffleSplit(Array.isArray(inputs) ? inputs[0] : inputs);
  }
}

tf.serialization.registerClass(ChannelShuffleSplit);
