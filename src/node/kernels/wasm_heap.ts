/**
 * The tfjs-backend-wasm heap as a `Heap`: tensors live on the emscripten heap (`wasm.asm.memory`)
 * at `dataIdMap.get(dataId).memoryOffset`; scratch comes from the module's `_malloc`.
 */
import type { DataId, DataType, TensorInfo } from '@tensorflow/tfjs-core';
import type { Heap } from './heap.js';

/** The parts of `BackendWasm` (tfjs-backend-wasm 4.x) used here. */
export interface WasmBackend {
  wasm: {
    asm: { memory: WebAssembly.Memory };
    _malloc(bytes: number): number;
    _free(ptr: number): void;
  };
  dataIdMap: { get(dataId: DataId): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: DataId): boolean;
  incRef(dataId: DataId): void;
}

export class WasmHeap implements Heap {
  constructor(readonly backend: WasmBackend) {}

  get memory(): WebAssembly.Memory {
    return this.backend.wasm.asm.memory;
  }

  alloc(floats: number): number {
    const ptr = this.backend.wasm._malloc(Math.max(1, floats) * 4) >>> 0;
    if (ptr === 0) throw new Error(`wasm heap: cannot allocate ${floats} floats of scratch`);
    return ptr;
  }

  free(ptr: number): void {
    this.backend.wasm._free(ptr);
  }

  /** Pointer to a tensor's data. */
  ptr(t: TensorInfo): number {
    return this.backend.dataIdMap.get(t.dataId).memoryOffset;
  }
}

const heaps = new WeakMap<object, WasmHeap>();

/** The heap of a wasm backend instance. */
export function wasmHeap(backend: unknown): WasmHeap {
  let heap = heaps.get(backend as object);
  if (!heap) heaps.set(backend as object, (heap = new WasmHeap(backend as WasmBackend)));
  return heap;
}
