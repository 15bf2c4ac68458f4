/**
 * A private `WebAssembly.Memory` as a `Heap`, for backends whose tensors are JS arrays (cpu): a
 * kernel copies its inputs in, runs the SIMD kernels, copies its output out and resets the heap.
 * Allocation bumps a pointer; `free` is a no-op and `reset` releases everything. The memory keeps
 * its largest size.
 */
import type { Heap } from './heap.js';

const PAGE = 65536;

export class PrivateHeap implements Heap {
  readonly memory = new WebAssembly.Memory({ initial: 1 });
  private top = 0;

  alloc(floats: number): number {
    const ptr = Math.ceil(this.top / 16) * 16;
    this.top = ptr + Math.max(1, floats) * 4;
    const short = this.top - this.memory.buffer.byteLength;
    if (short > 0) this.memory.grow(Math.ceil(short / PAGE));
    return ptr;
  }

  free(): void {}

  /** Copies `bytes` in; returns their pointer. */
  put(bytes: Uint8Array): number {
    const ptr = this.alloc(Math.ceil(bytes.length / 4));
    new Uint8Array(this.memory.buffer, ptr, bytes.length).set(bytes);
    return ptr;
  }

  reset(): void {
    this.top = 0;
  }
}
