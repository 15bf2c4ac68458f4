/**
 * Convolution kernels: the gradients of `Conv2D` and `DepthwiseConv2dNative` for wasm and cpu,
 * and the forward `Conv2D` for cpu only (the stock wasm one, XNNPACK's, is as fast as
 * im2col + GEMM). All float32 (other dtypes go to the stock kernels). The gradients throw for
 * NCHW and dilations > 1; the forward leaves those to the stock kernel.
 */
import type {
  Conv2DAttrs,
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInputAttrs,
  DepthwiseConv2dNativeBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropInputAttrs,
  KernelConfig,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { bindKernel } from './binding.js';
import { conv2dFilterGrad, conv2dForward, conv2dInputGrad } from './conv2d.js';
import { depthwiseFilterGrad, depthwiseInputGrad } from './depthwise_grads.js';
import { convGeometry, isNhwcUndilated } from './geometry.js';

type Named = Record<string, TensorInfo>;

const float32 = (...ts: TensorInfo[]) => ts.every((t) => t.dtype === 'float32');

export const convKernels: KernelConfig[] = [
  ...bindKernel<Named, Conv2DAttrs>(
    'Conv2D',
    ({ inputs: { x, filter }, attrs }, io) => {
      if (!isNhwcUndilated(attrs) || !float32(x, filter)) return null;
      const g = convGeometry('Conv2D', x.shape, filter.shape, attrs, false);
      const y = io.output([g.N, g.OH, g.OW, g.CO]);
      conv2dForward(io.heap, io.input(x), io.input(filter), y.ptr, g);
      return y;
    },
    ['cpu'],
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
