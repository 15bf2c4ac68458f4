/**
 * Arithmetic kernels for wasm and cpu, for the shapes batch normalization and pooling produce in
 * training: `Sum` and `Mean` over one run of contiguous axes (the stock kernels transpose
 * first), `Add`/`Sub`/`Multiply`/`RealDiv` with one operand broadcast over one run of axes (e.g.
 * [N,H,W,C] with [C], [1,1,1,C], [N,1,1,C] or a scalar), and per-channel `FusedBatchNorm`.
 * All float32; other cases go to the stock kernels. On a shared heap, large binary calls split
 * over kernel threads (`threads/math_split.ts`).
 */
import {
  backend_util,
  util,
  type FusedBatchNormAttrs,
  type KernelConfig,
  type MeanAttrs,
  type SumAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { bindKernel } from './binding.js';
import { BINARY_OPS } from '../simd/kernels.js';
import { f32, simd, withScratch } from './heap.js';
import { axisRunLayout } from './layout.js';
import { binaryOnThreads } from '../threads/math_split.js';

type Named = Record<string, TensorInfo>;

function reduction(kernelName: 'Sum' | 'Mean'): KernelConfig[] {
  return bindKernel<Named, SumAttrs | MeanAttrs>(kernelName, ({ inputs: { x }, attrs }, io) => {
    const axes = util.parseAxisParam(attrs.axis, x.shape);
    const layout = x.dtype === 'float32' ? axisRunLayout(x.shape, axes) : null;
    if (!layout) return null;
    const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const out = io.output(attrs.keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape);
    const scale = kernelName === 'Mean' ? 1 / layout.run : 1;
    const px = io.input(x);
    withScratch(io.heap, layout.inner, (tmp) => simd(io.heap).sumAxis(px, out.ptr, tmp, layout.outer, layout.run, layout.inner, scale));
    return out;
  });
}

function binary(kernelName: keyof typeof BINARY_OPS): KernelConfig[] {
  return bindKernel<Named, unknown>(kernelName, ({ inputs: { a, b } }, io) => {
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const size = util.sizeFromShape(outShape);
    // The operand of the output's size is the full one; the other, v, is broadcast over some axes.
    const vFirst = util.sizeFromShape(a.shape) !== size;
    const [full, v] = vFirst ? [b, a] : [a, b];
    const layout = util.sizeFromShape(full.shape) === size ? broadcastLayout(outShape, v.shape) : null;
    if (!layout) return null;
    const pFull = io.input(full),
      pv = io.input(v);
    const out = io.output(outShape);
    binaryOnThreads(io.heap, BINARY_OPS[kernelName], pFull, pv, out.ptr, layout.outer, layout.run, layout.inner, vFirst);
    return out;
  });
}

/** v (broadcastable to `shape`) as [outer, inner] against `shape` as [outer, run, inner], or null. */
function broadcastLayout(shape: number[], vShape: number[]) {
  const padded = [...new Array<number>(shape.length - vShape.length).fill(1), ...vShape];
  const axes = shape.flatMap((d, i) => (padded[i] === d ? [] : [i]));
  if (axes.length === 0) return { outer: 1, run: 1, inner: util.sizeFromShape(shape) };
  return axisRunLayout(shape, axes);
}

/** Batch normalization with parameters of size 1 or C (the innermost dimension). */
const fusedBatchNorm = bindKernel<Named, FusedBatchNormAttrs>('FusedBatchNorm', ({ inputs, attrs }, io) => {
  const { x, mean, variance, offset, scale } = inputs;
  const C = x.shape[x.shape.length - 1] ?? 1,
    rows = util.sizeFromShape(x.shape) / Math.max(C, 1);
  const params = [mean, variance, offset, scale];
  const fits = (t: TensorInfo | undefined) => !t || (t.dtype === 'float32' && [1, C].includes(util.sizeFromShape(t.shape)));
  if (x.dtype !== 'float32' || x.shape.length === 0 || !params.every(fits)) return null;
  const px = io.input(x);
  const ptrs = params.map((t) => (t ? io.input(t) : -1));
  const out = io.output(x.shape);
  if (rows * C === 0) return out;
  withScratch(io.heap, 3 * C, (p) => {
    const [m, v, o, s] = params.map((t, i) => (t ? f32(io.heap, ptrs[i], util.sizeFromShape(t.shape)) : null));
    const at = (arr: Float32Array | null, c: number, none: number) => (arr ? arr[arr.length === 1 ? 0 : c] : none);
    const per = f32(io.heap, p, 3 * C);
    for (let c = 0; c < C; c++) {
      per[c] = at(m, c, 0);
      per[C + c] = at(s, c, 1) / Math.sqrt(at(v, c, 1) + attrs.varianceEpsilon);
      per[2 * C + c] = at(o, c, 0);
    }
    simd(io.heap).batchNorm(px, p, p + 4 * C, p + 8 * C, out.ptr, rows, C);
  });
  return out;
});

export const mathKernels: KernelConfig[] = [
  ...reduction('Sum'),
  ...reduction('Mean'),
  ...binary('Add'),
  ...binary('Sub'),
  ...binary('Multiply'),
  ...binary('RealDiv'),
  ...fusedBatchNorm,
];
