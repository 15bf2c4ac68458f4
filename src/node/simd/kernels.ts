/** Typed access to the AssemblyScript SIMD kernels, instantiated on a given memory. Pointers are byte offsets. */
import { kernelInstanceOn, perMemoryAndBuild } from '../../wasm/kernel_module.js';
import * as batchNormWasm from './batch_norm.wasm.generated.js';
import * as binaryWasm from './binary.wasm.generated.js';
import * as copyWasm from './copy.wasm.generated.js';
import * as depthwiseWasm from './depthwise.wasm.generated.js';
import * as gemmWasm from './gemm.wasm.generated.js';
import * as im2colWasm from './im2col.wasm.generated.js';
import * as reduceWasm from './reduce.wasm.generated.js';

type Ptr = number;
/** Convolution geometry arguments, in this order: N, H, W, C, KH, KW, OH, OW, sh, sw, pt, pl. */
export type GeometryArgs = [number, number, number, number, number, number, number, number, number, number, number, number];

export interface SimdKernels {
  /** See im2col.as.ts. */
  im2col(x: Ptr, col: Ptr, ...g: GeometryArgs): void;
  col2im(col: Ptr, dx: Ptr, ...g: GeometryArgs): void;
  /** See gemm.as.ts: out = a·b (pack: gemmPackFloats() floats of scratch), and out += aᵀ·b. */
  gemm(a: Ptr, b: Ptr, out: Ptr, M: number, K: number, N: number, pack: Ptr): void;
  gemmPackFloats(): number;
  gemmTN(a: Ptr, b: Ptr, out: Ptr, M: number, K: number, N: number): void;
  /** See depthwise.as.ts. */
  depthwiseFilterGrad(x: Ptr, dy: Ptr, dW: Ptr, ...g: GeometryArgs): void;
  depthwiseInputGrad(dy: Ptr, w: Ptr, dx: Ptr, ...g: GeometryArgs): void;
  expandChannels(x: Ptr, out: Ptr, rows: number, C: number, m: number): void;
  sumChannelGroups(x: Ptr, out: Ptr, rows: number, C: number, m: number): void;
  /** See reduce.as.ts. */
  sumAxis(x: Ptr, out: Ptr, tmp: Ptr, outer: number, run: number, inner: number, scale: number): void;
  /** See batch_norm.as.ts. */
  batchNorm(x: Ptr, mean: Ptr, a: Ptr, offset: Ptr, out: Ptr, rows: number, C: number): void;
  centeredSquareSums(x: Ptr, mean: Ptr, out: Ptr, tmp: Ptr, rows: number, C: number): void;
  batchNormTrainForward(x: Ptr, mean: Ptr, invStd: Ptr, gamma: Ptr, beta: Ptr, y: Ptr, rows: number, C: number): void;
  batchNormInference(x: Ptr, mean: Ptr, std: Ptr, gamma: Ptr, beta: Ptr, y: Ptr, rows: number, C: number): void;
  batchNormGradSums(dy: Ptr, x: Ptr, mean: Ptr, invStd: Ptr, out: Ptr, tmp: Ptr, rows: number, C: number): void;
  batchNormGradInput(dy: Ptr, x: Ptr, mean: Ptr, invStd: Ptr, a: Ptr, c0: Ptr, c1: Ptr, dx: Ptr, rows: number, C: number): void;
  /** See binary.as.ts; op is one of BINARY_OPS. */
  binary(op: number, a: Ptr, v: Ptr, out: Ptr, outer: number, mid: number, inner: number, vFirst: boolean): void;
  /** See copy.as.ts. */
  copyRows(src: Ptr, dst: Ptr, rows: number, rowBytes: number, srcStride: number, dstStride: number): void;
  deinterleave(x: Ptr, even: Ptr, odd: Ptr, pairs: number): void;
  interleave(even: Ptr, odd: Ptr, x: Ptr, pairs: number): void;
}

/** The op codes of `binary` (binary.as.ts), by tfjs kernel name. */
export const BINARY_OPS = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 } as const;

/** The kernels instantiated on `memory` (once per memory and `relaxedSimd()` setting). */
export const simdKernels: (memory: WebAssembly.Memory) => SimdKernels = perMemoryAndBuild((memory) => ({
  ...kernelInstanceOn<Pick<SimdKernels, 'im2col' | 'col2im'>>(im2colWasm, memory),
  ...kernelInstanceOn<Pick<SimdKernels, 'gemm' | 'gemmTN' | 'gemmPackFloats'>>(gemmWasm, memory),
  ...kernelInstanceOn<Pick<SimdKernels, 'depthwiseFilterGrad' | 'depthwiseInputGrad' | 'expandChannels' | 'sumChannelGroups'>>(
    depthwiseWasm,
    memory,
  ),
  ...kernelInstanceOn<Pick<SimdKernels, 'sumAxis'>>(reduceWasm, memory),
  ...kernelInstanceOn<
    Pick<
      SimdKernels,
      'batchNorm' | 'centeredSquareSums' | 'batchNormTrainForward' | 'batchNormInference' | 'batchNormGradSums' | 'batchNormGradInput'
    >
  >(batchNormWasm, memory),
  ...kernelInstanceOn<Pick<SimdKernels, 'binary'>>(binaryWasm, memory),
  ...kernelInstanceOn<Pick<SimdKernels, 'copyRows' | 'deinterleave' | 'interleave'>>(copyWasm, memory),
}));
