/**
 * A heap that the SIMD kernels run on: the tfjs-backend-wasm heap itself, or a private memory
 * for the cpu backend. Pointers are byte offsets into `memory`.
 */
import { simdKernels, type SimdKernels } from '../simd/kernels.js';

export interface Heap {
  readonly memory: WebAssembly.Memory;
  /** Scratch of `floats` float32 values, contents undefined. */
  alloc(floats: number): number;
  free(ptr: number): void;
}

/** The SIMD kernels instantiated on the heap's memory. */
export function simd(heap: Heap): SimdKernels {
  return simdKernels(heap.memory);
}

/** A float32 view of `floats` values at `ptr` (take a new one after any allocation: memory may grow). */
export function f32(heap: Heap, ptr: number, floats: number): Float32Array {
  return new Float32Array(heap.memory.buffer, ptr, floats);
}

/** Runs `fn` with scratch of `floats` float32 values, freed afterwards. */
export function withScratch<R>(heap: Heap, floats: number, fn: (ptr: number) => R): R {
  const ptr = heap.alloc(floats);
  try {
    return fn(ptr);
  } finally {
    heap.free(ptr);
  }
}
