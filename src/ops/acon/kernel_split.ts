/**
 * The hook through which the wasm `AconC`/`AconCGrad` kernels can run one call over several
 * threads. Browser-safe: nothing is installed here; `acon/node` installs a splitter that runs
 * parts of the rows on kernel threads sharing the tfjs heap (`src/node/threads/acon_split.ts`).
 */
import type { AconExports } from './wasm.js';

export type AconForwardArgs = Parameters<AconExports['aconCForward']>;
export type AconBackwardArgs = Parameters<AconExports['aconCBackward']>;

/** Scratch allocation on the heap the kernels run on. */
export interface HeapAllocator {
  malloc(bytes: number): number;
  free(ptr: number): void;
}

export interface AconKernelSplitter {
  /** Runs `k.aconCForward(...args)` split over threads; false if the call is left to the caller. */
  forward(k: AconExports, memory: WebAssembly.Memory, args: AconForwardArgs): boolean;
  /** Runs `k.aconCBackward(...args)` split over threads (its own scratch from `heap`); false if left to the caller. */
  backward(k: AconExports, memory: WebAssembly.Memory, args: AconBackwardArgs, heap: HeapAllocator): boolean;
}

let installed: AconKernelSplitter | undefined;

/** Installs (or, with undefined, removes) the splitter. */
export function setAconKernelSplitter(splitter: AconKernelSplitter | undefined): void {
  installed = splitter;
}

export function aconKernelSplitter(): AconKernelSplitter | undefined {
  return installed;
}
