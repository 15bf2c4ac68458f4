/**
 * The fused training batch-norm kernels of `src/layers/batch_norm_kernels.ts` (names, formulas)
 * for wasm and cpu: one pass over x per statistic, one for the output, one for the backward's two
 * sums and one for dx, instead of the 10–15 elementwise passes of the tfjs composition.
 */
import { util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import {
  BATCH_NORM_CENTERED_SQUARES,
  BATCH_NORM_GRAD_INPUT,
  BATCH_NORM_GRAD_SUMS,
  BATCH_NORM_INFERENCE,
  BATCH_NORM_TRAIN,
} from '../../layers/batch_norm_kernels.js';
import { bindKernel, type KernelIO } from './binding.js';
import { simd, withScratch } from './heap.js';

type Named = Record<string, TensorInfo>;

/** rows and C of x (channels last), after checking that the data and per-channel inputs are float32 of C values. */
function rowsAndChannels(kernel: string, data: TensorInfo[], perChannel: TensorInfo[]): { rows: number; C: number } {
  const x = data[0];
  const C = x.shape[x.shape.length - 1];
  if (x.shape.length < 1 || !(C > 0)) throw new Error(`${kernel}: x must have a channel (last) axis, got shape [${x.shape}]`);
  for (const t of data)
    if (t.dtype !== 'float32' || !util.arraysEqual(t.shape, x.shape))
      throw new Error(`${kernel}: expected float32 inputs of shape [${x.shape}], got ${t.dtype} [${t.shape}]`);
  for (const t of perChannel)
    if (t.dtype !== 'float32' || util.sizeFromShape(t.shape) !== C)
      throw new Error(`${kernel}: expected float32 per-channel inputs of ${C} values, got ${t.dtype} [${t.shape}]`);
  return { rows: util.sizeFromShape(x.shape) / C, C };
}

const ptrs = (io: KernelIO, ts: TensorInfo[]) => ts.map((t) => io.input(t));

export const batchNormKernels: KernelConfig[] = [
  ...bindKernel<Named, unknown>(BATCH_NORM_CENTERED_SQUARES, ({ inputs: { x, mean } }, io) => {
    const { rows, C } = rowsAndChannels(BATCH_NORM_CENTERED_SQUARES, [x], [mean]);
    const [px, pm] = ptrs(io, [x, mean]);
    const out = io.output([C]);
    withScratch(io.heap, C, (tmp) => simd(io.heap).centeredSquareSums(px, pm, out.ptr, tmp, rows, C));
    return out;
  }),

  ...bindKernel<Named, unknown>(BATCH_NORM_TRAIN, ({ inputs: { x, mean, invStd, gamma, beta } }, io) => {
    const { rows, C } = rowsAndChannels(BATCH_NORM_TRAIN, [x], [mean, invStd, gamma, beta]);
    const p = ptrs(io, [x, mean, invStd, gamma, beta]);
    const y = io.output(x.shape);
    simd(io.heap).batchNormTrainForward(p[0], p[1], p[2], p[3], p[4], y.ptr, rows, C);
    return y;
  }),

  ...bindKernel<Named, unknown>(BATCH_NORM_INFERENCE, ({ inputs: { x, mean, std, gamma, beta } }, io) => {
    const { rows, C } = rowsAndChannels(BATCH_NORM_INFERENCE, [x], [mean, std, gamma, beta]);
    const p = ptrs(io, [x, mean, std, gamma, beta]);
    const y = io.output(x.shape);
    simd(io.heap).batchNormInference(p[0], p[1], p[2], p[3], p[4], y.ptr, rows, C);
    return y;
  }),

  ...bindKernel<Named, unknown>(BATCH_NORM_GRAD_SUMS, ({ inputs: { dy, x, mean, invStd } }, io) => {
    const { rows, C } = rowsAndChannels(BATCH_NORM_GRAD_SUMS, [x, dy], [mean, invStd]);
    const p = ptrs(io, [dy, x, mean, invStd]);
    const out = io.output([2, C]);
    withScratch(io.heap, 2 * C, (tmp) => simd(io.heap).batchNormGradSums(p[0], p[1], p[2], p[3], out.ptr, tmp, rows, C));
    return out;
  }),

  ...bindKernel<Named, unknown>(BATCH_NORM_GRAD_INPUT, ({ inputs: { dy, x, mean, invStd, a, c0, c1 } }, io) => {
    const { rows, C } = rowsAndChannels(BATCH_NORM_GRAD_INPUT, [x, dy], [mean, invStd, a, c0, c1]);
    const p = ptrs(io, [dy, x, mean, invStd, a, c0, c1]);
    const dx = io.output(x.shape);
    simd(io.heap).batchNormGradInput(p[0], p[1], p[2], p[3], p[4], p[5], p[6], dx.ptr, rows, C);
    return dx;
  }),
];
