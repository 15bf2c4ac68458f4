/**
 * PyTorch's `nn.MaxPool2d(kernel_size, stride, padding)` channels last: the padding is implicit
 * −∞ (a padded position never wins the max), output size ⌊(H + 2p − k)/s⌋ + 1. tfjs-layers'
 * `maxPooling2d` offers only 'valid' and 'same' (asymmetric on even inputs at stride 2), and zero
 * padding would be wrong after an activation that goes negative (ACON-C, Meta-ACON).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;
type Shape = (number | null)[];

export interface TorchMaxPool2dArgs extends LayerArgs {
  kernelSize: number;
  stride?: number;
  padding?: number;
}

export class TorchMaxPool2d extends tfl.layers.Layer {
  static className = 'TorchMaxPool2d';
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;

  constructor(args: TorchMaxPool2dArgs) {
    super(args);
    this.kernelSize = args.kernelSize;
    this.stride = args.stride ?? args.kernelSize;
    this.padding = args.padding ?? 0;
    for (const [field, v, min] of [
      ['kernelSize', this.kernelSize, 1],
      ['stride', this.stride, 1],
      ['padding', this.padding, 0],
    ] as const) {
      if (!Number.isInteger(v) || v < min) throw new Error(`TorchMaxPool2d: ${field} must be an integer >= ${min}, got ${v}`);
    }
    if (2 * this.padding > this.kernelSize)
      throw new Error(
        `TorchMaxPool2d: padding ${this.padding} must be at most half of kernelSize ${this.kernelSize} (as PyTorch requires)`,
      );
  }

  private outSize(n: number | null): number | null {
    return n === null ? null : Math.floor((n + 2 * this.padding - this.kernelSize) / this.stride) + 1;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    if (s.length !== 4) throw new Error(`TorchMaxPool2d: expects [N,H,W,C] input, got shape [${s}]`);
    return [s[0], this.outSize(s[1]), this.outSize(s[2]), s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    // A numeric pad makes tfjs pool over the in-range positions only: the −∞ padding of PyTorch.
    return tf.maxPool(x, this.kernelSize, this.stride, this.padding);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, ...super.getConfig() };
  }
}

tf.serialization.registerClass(TorchMaxPool2d);
