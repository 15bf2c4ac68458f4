/**
 * ShuffleNetV2's channel shuffle + split (Ma et al., ECCV 2018), channels last: splits x
 * `[..., C]` into its even and odd channels `[..., C/2]` each, as the official `channel_shuffle`
 * does before a stride-1 block. Together with the concatenation that ends each block, this is the
 * channel shuffle.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

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
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const C = x.shape[x.rank - 1];
      // [..., C/2, 2] → [..., 2, C/2]: even channels first, then odd; then two contiguous halves.
      const lead = x.shape.slice(0, -1);
      const pairs = tf.reshape(x, [...lead, C / 2, 2]);
      const perm = [...lead.map((_, i) => i), x.rank, x.rank - 1];
      return tf.split(tf.reshape(tf.transpose(pairs, perm), x.shape), 2, x.rank - 1);
    });
  }
}

tf.serialization.registerClass(ChannelShuffleSplit);
