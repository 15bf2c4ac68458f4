/** Convolution geometry for the convolution kernels: NHWC, dilation 1, via tfjs `computeConv2DInfo`. */
import { backend_util, type Conv2DBackpropFilterAttrs } from '@tensorflow/tfjs-core';
import type { GeometryArgs } from '../simd/kernels.js';

type Shape4 = [number, number, number, number];

export interface ConvAttrs {
  strides: [number, number] | number;
  pad: Conv2DBackpropFilterAttrs['pad'];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
}

/** Input N×H×W×C, filter KH×KW, output OH×OW×CO, strides sh/sw, top/left padding pt/pl. */
export interface ConvGeometry {
  N: number;
  H: number;
  W: number;
  C: number;
  KH: number;
  KW: number;
  OH: number;
  OW: number;
  CO: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
}

/** Whether convGeometry accepts these attributes (NHWC, dilation 1). */
export function isNhwcUndilated(attrs: ConvAttrs): boolean {
  const d = attrs.dilations ?? 1;
  return (attrs.dataFormat ?? 'NHWC') === 'NHWC' && (typeof d === 'number' ? d === 1 : d[0] === 1 && d[1] === 1);
}

/**
 * Geometry of the forward convolution that `kernel` computes or differentiates. `filterShape` is
 * [KH, KW, C, CO] (or [KH, KW, C, multiplier] when `depthwise`). Throws for NCHW and dilations > 1.
 */
export function convGeometry(kernel: string, xShape: number[], filterShape: number[], attrs: ConvAttrs, depthwise: boolean): ConvGeometry {
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC') {
    throw new Error(`${kernel}: dataFormat '${attrs.dataFormat}' is not supported, only 'NHWC'`);
  }
  if (!isNhwcUndilated(attrs)) throw new Error(`${kernel}: dilations ${String(attrs.dilations)} are not supported, only 1`);
  if (xShape.length !== 4 || filterShape.length !== 4) {
    throw new Error(`${kernel}: expected rank-4 input and filter, got [${xShape}] and [${filterShape}]`);
  }
  const info = backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    'channelsLast',
  );
  return {
    N: info.batchSize,
    H: info.inHeight,
    W: info.inWidth,
    C: info.inChannels,
    KH: info.filterHeight,
    KW: info.filterWidth,
    OH: info.outHeight,
    OW: info.outWidth,
    CO: info.outChannels,
    sh: info.strideHeight,
    sw: info.strideWidth,
    pt: info.padInfo.top,
    pl: info.padInfo.left,
  };
}

/** The geometry as SIMD kernel arguments, optionally with another channel count. */
export function geometryArgs(g: ConvGeometry, C = g.C): GeometryArgs {
  return [g.N, g.H, g.W, C, g.KH, g.KW, g.OH, g.OW, g.sh, g.sw, g.pt, g.pl];
}
