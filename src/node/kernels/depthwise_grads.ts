/**
 * Gradients of a depthwise 2-D convolution (NHWC, filter [KH, KW, C, m], output channel
 * c·m + j) on a `Heap`. The SIMD kernels handle m = 1; for m > 1 the filter gradient runs them
 * on x with every channel repeated m times, and the input gradient sums each group of m
 * channels of their result. Both layouts coincide with [KH, KW, C·m] for the filter.
 */
import { geometryArgs, type ConvGeometry } from './geometry.js';
import { simd, withScratch, type Heap } from './heap.js';

export function depthwiseFilterGrad(heap: Heap, x: number, dy: number, dW: number, g: ConvGeometry): void {
  const m = g.CO / g.C,
    k = simd(heap);
  if (m === 1) {
    k.depthwiseFilterGrad(x, dy, dW, ...geometryArgs(g));
    return;
  }
  const rows = g.N * g.H * g.W;
  withScratch(heap, rows * g.CO, (xe) => {
    k.expandChannels(x, xe, rows, g.C, m);
    k.depthwiseFilterGrad(xe, dy, dW, ...geometryArgs(g, g.CO));
  });
}

export function depthwiseInputGrad(heap: Heap, dy: number, w: number, dx: number, g: ConvGeometry): void {
  const m = g.CO / g.C,
    k = simd(heap);
  if (m === 1) {
    k.depthwiseInputGrad(dy, w, dx, ...geometryArgs(g));
    return;
  }
  const rows = g.N * g.H * g.W;
  withScratch(heap, rows * g.CO, (dxe) => {
    k.depthwiseInputGrad(dy, w, dxe, ...geometryArgs(g, g.CO));
    k.sumChannelGroups(dxe, dx, rows, g.C, m);
  });
}
