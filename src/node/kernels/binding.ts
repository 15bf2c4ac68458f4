/**
 * Binding kernel implementations to backends. An implementation reaches tensor data through
 * pointers on a `Heap` (`KernelIO`): on `wasm` these are the tensors' own places on the backend's
 * heap; on `cpu` the inputs are copied into a private heap and the outputs copied out afterwards.
 * An implementation returns null for cases it leaves to the stock kernel.
 */
import {
  util,
  type DataId,
  type DataType,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  type TypedArray,
} from '@tensorflow/tfjs-core';
import type { Heap } from './heap.js';
import { PrivateHeap } from './private_heap.js';
import { callStock } from './stock.js';
import { wasmHeap } from './wasm_heap.js';

/** An output tensor being written: its data starts at `ptr`. */
export interface Output {
  readonly ptr: number;
}

export interface KernelIO {
  readonly heap: Heap;
  /** Pointer to an input tensor's data. */
  input(t: TensorInfo): number;
  /** Allocates an output tensor. */
  output(shape: number[], dtype?: DataType): Output;
}

/** Named inputs, or a list for `Concat`. */
export type Inputs = Record<string, TensorInfo> | TensorInfo[];

export interface KernelArgs<I extends Inputs, A> {
  inputs: I;
  attrs: A;
}

export type KernelImpl<I extends Inputs, A> = (args: KernelArgs<I, A>, io: KernelIO) => Output | Output[] | null;

export type BackendName = 'wasm' | 'cpu';

/** Kernel configs running `impl` on each of `backends`. */
export function bindKernel<I extends Inputs, A>(
  kernelName: string,
  impl: KernelImpl<I, A>,
  backends: BackendName[] = ['wasm', 'cpu'],
): KernelConfig[] {
  return backends.map((backendName) => ({
    kernelName,
    backendName,
    kernelFunc: ((args: { backend: unknown }) => {
      const result = (backendName === 'wasm' ? runOnWasm : runOnCpu)(args as never, impl as unknown as Impl);
      return result ?? callStock(kernelName, backendName, args as never);
    }) as KernelFunc,
  }));
}

type RunArgs = KernelArgs<Inputs, unknown> & { backend: unknown };
type Impl = KernelImpl<Inputs, unknown>;

function runOnWasm(args: RunArgs, impl: Impl): TensorInfo | TensorInfo[] | null {
  const heap = wasmHeap(args.backend);
  const infos = new Map<Output, TensorInfo>();
  const io: KernelIO = {
    heap,
    input: (t) => heap.ptr(t),
    output: (shape, dtype = 'float32') => {
      const info = heap.backend.makeOutput(shape, dtype);
      const out = { ptr: heap.ptr(info) };
      infos.set(out, info);
      return out;
    },
  };
  try {
    const result = impl(args, io);
    return result === null ? null : Array.isArray(result) ? result.map((o) => infos.get(o)!) : infos.get(result)!;
  } catch (e) {
    for (const info of infos.values()) heap.backend.disposeData(info.dataId);
    throw e;
  }
}

/** The parts of `MathBackendCPU` used here. */
interface CpuBackend {
  data: { get(dataId: DataId): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: DataType, values: TypedArray): TensorInfo;
}

const privateHeap = new PrivateHeap();

function runOnCpu(args: RunArgs, impl: Impl): TensorInfo | TensorInfo[] | null {
  const backend = args.backend as CpuBackend;
  const copied = new Map<DataId, number>();
  const outputs = new Map<Output, { shape: number[]; dtype: DataType }>();
  const io: KernelIO = {
    heap: privateHeap,
    input: (t) => {
      let ptr = copied.get(t.dataId);
      if (ptr === undefined) {
        const values = asDtype(backend.data.get(t.dataId).values as TypedArray, t.dtype);
        copied.set(t.dataId, (ptr = privateHeap.put(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))));
      }
      return ptr;
    },
    output: (shape, dtype = 'float32') => {
      const out = { ptr: privateHeap.alloc(Math.ceil((util.sizeFromShape(shape) * util.bytesPerElement(dtype)) / 4)) };
      outputs.set(out, { shape, dtype });
      return out;
    },
  };
  try {
    const result = impl(args, io);
    if (result === null) return null;
    const info = (o: Output) => {
      const { shape, dtype } = outputs.get(o)!;
      return backend.makeTensorInfo(shape, dtype, copyOut(privateHeap, o.ptr, util.sizeFromShape(shape), dtype));
    };
    return Array.isArray(result) ? result.map(info) : info(result);
  } finally {
    privateHeap.reset();
  }
}

/**
 * The values in the typed array of `dtype`: the cpu backend casts int32 or bool to float32 by
 * relabelling the tensor and keeping its Int32Array or Uint8Array, whose bytes are not float32.
 */
function asDtype(values: TypedArray, dtype: DataType): TypedArray {
  const wanted = dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : dtype === 'bool' ? Uint8Array : null;
  return wanted && !(values instanceof wanted) ? wanted.from(values) : values;
}

function copyOut(heap: Heap, ptr: number, size: number, dtype: DataType): TypedArray {
  const buffer = heap.memory.buffer;
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, ptr, size).slice();
    case 'int32':
      return new Int32Array(buffer, ptr, size).slice();
    case 'bool':
      return new Uint8Array(buffer, ptr, size).slice();
    default:
      throw new Error(`unsupported output dtype ${dtype}`);
  }
}
