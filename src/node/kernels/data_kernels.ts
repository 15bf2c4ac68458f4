/**
 * Data-movement kernels: `Concat`, `SplitV` and `Tile` (wasm and cpu) move whole rows with SIMD
 * or block copies instead of one call per innermost row or one per element; the channel shuffle's
 * `AconChannelShuffleSplit` and `AconChannelShuffleMerge` (de)interleave channel pairs; on wasm, `Identity`
 * and same-dtype `Cast` share their input's data (as the stock `Reshape` does) instead of
 * copying it. Strings and complex numbers go to the stock kernels.
 */
import {
  backend_util,
  util,
  type CastAttrs,
  type ConcatAttrs,
  type DataType,
  type KernelConfig,
  type KernelFunc,
  type SplitVAttrs,
  type TensorInfo,
  type TileAttrs,
} from '@tensorflow/tfjs-core';
import { CHANNEL_SHUFFLE_MERGE, CHANNEL_SHUFFLE_SPLIT } from '../../layers/channel_shuffle.js';
import { bindKernel } from './binding.js';
import { simd } from './heap.js';
import { callStock } from './stock.js';
import { tileBytes } from './tile.js';
import { wasmHeap } from './wasm_heap.js';

type Named = Record<string, TensorInfo>;

/** Dtypes stored as plain numeric arrays (strings and complex64 are not). */
const isNumeric = (dtype: DataType) => dtype === 'float32' || dtype === 'int32' || dtype === 'bool';

const concat = bindKernel<TensorInfo[], ConcatAttrs>('Concat', ({ inputs, attrs }, io) => {
  if (!isNumeric(inputs[0].dtype)) return null;
  const axis = util.parseAxisParam(attrs.axis, inputs[0].shape)[0];
  const outShape = backend_util.computeOutShape(
    inputs.map((t) => t.shape),
    axis,
  );
  const bytes = util.bytesPerElement(inputs[0].dtype),
    outer = util.sizeFromShape(outShape.slice(0, axis));
  const rows = inputs.map((t) => util.sizeFromShape(t.shape.slice(axis)) * bytes);
  const ptrs = inputs.map((t, i) => (rows[i] > 0 ? io.input(t) : 0));
  const out = io.output(outShape, inputs[0].dtype);
  const outRow = util.sizeFromShape(outShape.slice(axis)) * bytes;
  let column = out.ptr;
  inputs.forEach((_, i) => {
    if (rows[i] > 0) simd(io.heap).copyRows(ptrs[i], column, outer, rows[i], rows[i], outRow);
    column += rows[i];
  });
  return out;
});

const splitV = bindKernel<Named, SplitVAttrs>('SplitV', ({ inputs: { x }, attrs }, io) => {
  if (!isNumeric(x.dtype)) return null;
  const axis = util.parseAxisParam(attrs.axis, x.shape)[0];
  const sizes = backend_util.prepareSplitSize(x, attrs.numOrSizeSplits, axis);
  const bytes = util.bytesPerElement(x.dtype),
    outer = util.sizeFromShape(x.shape.slice(0, axis));
  const inner = util.sizeFromShape(x.shape.slice(axis + 1)) * bytes,
    inRow = x.shape[axis] * inner;
  let column = util.sizeFromShape(x.shape) > 0 ? io.input(x) : 0;
  return sizes.map((size) => {
    const shape = x.shape.slice();
    shape[axis] = size;
    const out = io.output(shape, x.dtype);
    if (size * inner > 0) simd(io.heap).copyRows(column, out.ptr, outer, size * inner, inRow, size * inner);
    column += size * inner;
    return out;
  });
});

const tile = bindKernel<Named, TileAttrs>('Tile', ({ inputs: { x }, attrs: { reps } }, io) => {
  if (!isNumeric(x.dtype)) return null;
  const outShape = x.shape.map((d, i) => d * reps[i]);
  const bytes = util.bytesPerElement(x.dtype);
  const px = util.sizeFromShape(x.shape) > 0 ? io.input(x) : 0;
  const out = io.output(outShape, x.dtype);
  const u8 = (ptr: number, shape: number[]) => new Uint8Array(io.heap.memory.buffer, ptr, util.sizeFromShape(shape) * bytes);
  tileBytes(u8(px, x.shape), u8(out.ptr, outShape), x.shape, reps, bytes);
  return out;
});

/** The channel shuffle's split of x [..., C] into its even and odd channels (src/layers/channel_shuffle.ts). */
const shuffleSplit = bindKernel<Named, object>(CHANNEL_SHUFFLE_SPLIT, ({ inputs: { x } }, io) => {
  const C = x.shape[x.shape.length - 1];
  if (x.dtype !== 'float32' || x.shape.length === 0 || C % 2 !== 0)
    throw new Error(`${CHANNEL_SHUFFLE_SPLIT}: x must be float32 with an even channel count, got ${x.dtype} [${x.shape}]`);
  const half = [...x.shape.slice(0, -1), C / 2];
  const even = io.output(half),
    odd = io.output(half);
  const pairs = util.sizeFromShape(half);
  if (pairs > 0) simd(io.heap).deinterleave(io.input(x), even.ptr, odd.ptr, pairs);
  return [even, odd];
});

/** Its inverse (and gradient): x [..., 2·C'] from even and odd [..., C']. */
const shuffleMerge = bindKernel<Named, object>(CHANNEL_SHUFFLE_MERGE, ({ inputs: { even, odd } }, io) => {
  if (even.dtype !== 'float32' || odd.dtype !== 'float32' || !util.arraysEqual(even.shape, odd.shape) || even.shape.length === 0)
    throw new Error(
      `${CHANNEL_SHUFFLE_MERGE}: even and odd must be float32 of one shape, got ${even.dtype} [${even.shape}] and ${odd.dtype} [${odd.shape}]`,
    );
  const x = io.output([...even.shape.slice(0, -1), 2 * even.shape[even.shape.length - 1]]);
  const pairs = util.sizeFromShape(even.shape);
  if (pairs > 0) simd(io.heap).interleave(io.input(even), io.input(odd), x.ptr, pairs);
  return x;
});

/** A wasm kernel returning x's data as the output when `shares` (else: the stock kernel). */
function sharing(kernelName: string, shares: (x: TensorInfo, attrs: never) => boolean): KernelConfig {
  const kernelFunc = (args: { inputs: Named; backend: unknown; attrs: never }) => {
    const { x } = args.inputs;
    if (!isNumeric(x.dtype) || !shares(x, args.attrs)) return callStock(kernelName, 'wasm', args as never);
    wasmHeap(args.backend).backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  return { kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}

export const dataKernels: KernelConfig[] = [
  ...concat,
  ...splitV,
  ...tile,
  ...shuffleSplit,
  ...shuffleMerge,
  sharing('Identity', () => true),
  sharing('Cast', (x, attrs: CastAttrs) => x.dtype === attrs.dtype),
];
