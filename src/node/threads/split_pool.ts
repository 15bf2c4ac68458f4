/**
 * The one pool of kernel threads that split kernel calls run on (wasm backend, shared heap): the
 * ACON kernels (`acon_split.ts`) and the elementwise binary kernel (`math_split.ts`). The
 * workers instantiate the builds the calling thread runs (relaxed SIMD or not), so that every part
 * of a call rounds alike.
 */
import * as aconBuilds from '../../ops/simd/acon.wasm.generated.js';
import { compileKernelModule, isSharedMemory, kernelBuild, type KernelBuilds } from '../../wasm/kernel_module.js';
import * as binaryBuilds from '../simd/binary.wasm.generated.js';
import { KernelPool } from './kernel_pool.js';
import { getKernelThreads } from './kernel_threads.js';

/** The modules the workers hold, and the exports that split calls use. */
const MODULES: readonly KernelBuilds[] = [aconBuilds, binaryBuilds];
const EXPORTS = ['aconCForward', 'aconCBackward', 'binary'] as const;
export type SplitExport = (typeof EXPORTS)[number];

let pool: KernelPool | undefined;
/** Calls that ran split, for tests. */
let splitCalls = 0;

/** How many kernel calls have run over more than one thread in this process. */
export function splitCallCount(): number {
  return splitCalls;
}

/**
 * How many threads a call on `elements` elements of `memory` may use: `getKernelThreads()`, or 1
 * where the call has fewer than `minElements` elements (waking a kernel thread and waiting for it
 * costs tens of microseconds) or the heap is not shared.
 */
export function splitThreads(memory: WebAssembly.Memory, elements: number, minElements: number): number {
  const threads = getKernelThreads();
  return threads < 2 || elements < minElements || !isSharedMemory(memory) ? 1 : threads;
}

/** The pool on `memory` with `threads − 1` workers, for one split call (counted). */
export function splitPool(memory: WebAssembly.Memory, threads: number): KernelPool {
  const modules = MODULES.map((builds) => compileKernelModule(kernelBuild(builds, true)));
  if (pool && (pool.memory !== memory || pool.modules.some((m, i) => m !== modules[i]))) void closeKernelThreads();
  pool ??= new KernelPool(memory, modules, EXPORTS);
  pool.resize(threads - 1);
  splitCalls++;
  return pool;
}

/** `extent` units in at most `parts` contiguous ranges of ⌊extent/parts⌋ or ⌈extent/parts⌉ (the first ones longer). */
export function ranges(extent: number, parts: number): [start: number, length: number][] {
  const n = Math.min(parts, extent),
    base = Math.floor(extent / n),
    extra = extent % n;
  const out: [number, number][] = [];
  for (let i = 0, start = 0; i < n; i++) {
    const len = base + (i < extra ? 1 : 0);
    out.push([start, len]);
    start += len;
  }
  return out;
}

/** Terminates the kernel threads (they are started again on the next call that uses them). */
export async function closeKernelThreads(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.close();
}
