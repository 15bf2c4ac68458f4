/**
 * Convolution kernels for wasm and cpu: the forward `Conv2D` and `FusedConv2D` (im2col + GEMM;
 * with fused multiply-adds where relaxed SIMD runs, faster than the stock XNNPACK kernel on the
 * compare net's shapes) and the gradients of `Conv2D` and `DepthwiseConv2dNative`. All float32
 * (other dtypes go to the stock kernels). The gradients throw for NCHW and dilations > 1; the
 * forwards leave those, and fused activations other than linear, to the stock kernels.
 */
import {
  util,
  type Conv2DAttrs,
  type FusedConv2DAttrs,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { bindKernel, type KernelIO } from './binding.js';
import { conv2dFilterGrad, conv2dForward, conv2dInputGrad } from './conv2d.js';
import { depthwiseFilterGrad, depthwiseInputGrad } from './depthwise_grads.js';
import { convGeometry, isNhwcUndilated } from './geometry.js';
import { simd } from './heap.js';
import { BINARY_OPS } from '../simd/kernels.js';

type Named = Record<string, TensorInfo>;

const float32 = (...ts: TensorInfo[]) => ts.every((t) => t.dtype === 'float32');

/** y = conv2d(x, filter) (+ bias per output channel), or null for the stock kernel. */
function conv2dForwardImpl(
  kernelName: string,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | undefined,
  attrs: Conv2DAttrs,
  io: KernelIO,
) {
  if (!isNhwcUndilated(attrs) || !float32(x, filter, ...(bias ? [bias] : []))) return null;
  const g = convGeometry(kernelName, x.shape, filter.shape, attrs, false);
  if (bias && util.sizeFromShape(bias.shape) !== g.CO) return null;
  const y = io.output([g.N, g.OH, g.OW, g.CO]);
  conv2dForward(io.heap, io.input(x), io.input(filter), y.ptr, g);
  if (bias) simd(io.heap).binary(BINARY_OPS.Add, y.ptr, io.input(bias), y.ptr, 1, g.N * g.OH * g.OW, g.CO, false);
  return y;
}

export const convKernels: KernelConfig[] = [
  ...bindKernel<Named, Conv2DAttrs>('Conv2D', ({ inputs: { x, filter }, attrs }, io) =>
    conv2dForwardImpl('Conv2D', x, filter, undefined, attrs, io),
  ),

  ...bindKernel<Named, FusedConv2DAttrs>('FusedConv2D', ({ inputs: { x, filter, bias, preluActivationWeights }, attrs }, io) =>
    (attrs.activation ?? 'linear') === 'linear' && !preluActivationWeights
      ? conv2dForwardImpl('FusedConv2D', x, filter, bias, attrs, io)
      : null,
  ),

  ...bindKernel<Named, Conv2DBackpropFilterAttrs>('Conv2DBackpropFilter', ({ inputs: { x, dy }, attrs }, io) => {
    if (!float32(x, dy)) return null;
    const g = convGeometry('Conv2DBackpropFilter', x.shape, attrs.filterShape, attrs, false);
    const dW = io.output(attrs.filterShape);
    conv2dFilterGrad(io.heap, io.input(x), io.input(dy), dW.ptr, g);
    return dW;
  }),

  ...bindKernel<Named, Conv2DBackpropInputAttrs>('Conv2DBackpropInput', ({ inputs: { dy, filter }, attrs }, io) => {
    if (!float32(dy, filter)) return null;
    const g = convGeometry('Conv2DBackpropInput', attrs.inputShape, filter.shape, attrs, false);
    const dx = io.output(attrs.inputShape);
    conv2dInputGrad(io.heap, io.input(dy), io.input(filter), dx.ptr, g);
    return dx;
  }),

  ...bindKernel<Named, DepthwiseConv2dNativeBackpropFilterAttrs>(
    'DepthwiseConv2dNativeBackpropFilter',
    ({ inputs: { x, dy }, attrs }, io) => {
      if (!float32(x, dy)) return null;
      const g = convGeometry('DepthwiseConv2dNativeBackpropFilter', x.shape, attrs.filterShape, attrs, true);
      const dW = io.output(attrs.filterShape);
      depthwiseFilterGrad(io.heap, io.input(x), io.input(dy), dW.ptr, g);
      return dW;
    },
  ),

  ...bindKernel<Named, DepthwiseConv2dNativeBackpropInputAttrs>(
    'DepthwiseConv2dNativeBackpropInput',
    ({ inputs: { dy, filter }, attrs }, io) => {
      if (!float32(dy, filter)) return null;
      const g = convGeometry('DepthwiseConv2dNativeBackpropInput', attrs.inputShape, filter.shape, attrs, true);
      const dx = io.output(attrs.inputShape);
      depthwiseInputGrad(io.heap, io.input(dy), io.input(filter), dx.ptr, g);
      return dx;
    },
  ),
];
