/**
 * Fused ACON-C kernels for the tfjs `wasm` backend: the WebAssembly SIMD module compiled from
 * `src/ops/simd/acon.as.ts`, instantiated on the backend's own `WebAssembly.Memory` so it reads
 * and writes the tensors in place (zero-copy). Layout and formulas: `kernel_names.ts`.
 *
 * Registration needs the module compiled: synchronously where allowed (Node, workers), or ahead
 * of time by `initAconWasm()` (browser main threads limit synchronous compilation). Without a
 * compiled module (no WebAssembly, no SIMD) nothing is registered and the op takes its generic path.
 */
import {
  getKernel,
  registerKernel,
  util,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  type TypedArray,
} from '@tensorflow/tfjs-core';
import * as aconBuilds from '../simd/acon.wasm.generated.js';
import { compileKernelModule, compileKernelModuleAsync, isSharedMemory, kernelBuild, perMemoryAndBuild } from '../../wasm/kernel_module.js';
import { aconCBackwardCpu, aconCForwardCpu } from './cpu.js';
import { aconKernelSplitter, type AconBackwardArgs, type AconForwardArgs } from './kernel_split.js';
import {
  ACON_C,
  ACON_C_GRAD,
  aconCLayout,
  type AconCAttrs,
  type AconCGradInputs,
  type AconCInputs,
  type AconCLayout,
} from './kernel_names.js';

/** Exports of the compiled kernel module (pointers are byte offsets into the backend heap). */
export interface AconExports {
  aconCForward(
    x: number,
    p1: number,
    p2: number,
    beta: number,
    y: number,
    N: number,
    S: number,
    C: number,
    Cp: number,
    Nb: number,
    Sb: number,
    Cb: number,
    hard: number,
  ): void;
  aconCBackward(
    x: number,
    p1: number,
    p2: number,
    beta: number,
    dy: number,
    dx: number,
    dp1: number,
    dp2: number,
    dbeta: number,
    scratch: number,
    N: number,
    S: number,
    C: number,
    Cp: number,
    Nb: number,
    Sb: number,
    Cb: number,
    hard: number,
  ): void;
  aconCBackwardScratchBytes(N: number, S: number, C: number, Cp: number, Nb: number, Sb: number, Cb: number): number;
}

/** The parts of tfjs-backend-wasm's `BackendWasm` (4.x) used here. */
interface BackendWasmLike {
  wasm: {
    /** The heap: exported by the single-threaded build, imported (shared) by the threaded one. */
    asm: { memory?: WebAssembly.Memory };
    wasmMemory?: WebAssembly.Memory;
    HEAPU8: Uint8Array;
    _malloc?(bytes: number): number;
    _free?(ptr: number): void;
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number; shape: number[] } };
  makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number, values?: TypedArray): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Which build of the module a memory takes: tfjs's threaded build (cross-origin isolated pages) has a shared heap. */
type MemoryKind = 'private' | 'shared';

/** The module of a build, or null where WebAssembly or SIMD is unavailable (or sync compile refused). */
function compileSync(kind: MemoryKind = 'private'): WebAssembly.Module | null {
  try {
    return typeof WebAssembly === 'object' ? compileKernelModule(kernelBuild(aconBuilds, kind === 'shared')) : null;
  } catch {
    return null;
  }
}

/** The instance on a memory, per build (plain or relaxed SIMD); null where it cannot run there. */
const instanceOn = perMemoryAndBuild((memory): AconExports | null => {
  const mod = compileSync(isSharedMemory(memory) ? 'shared' : 'private');
  try {
    return mod ? (new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as AconExports) : null;
  } catch {
    return null;
  }
});

function heapMemory(backend: BackendWasmLike): WebAssembly.Memory | undefined {
  return backend.wasm.asm.memory ?? backend.wasm.wasmMemory;
}

/**
 * The module instance working on this backend's heap (the build matching a private or shared
 * memory), or null if it cannot be instantiated there; then the kernels fall back to a JS loop.
 */
function kernelsFor(backend: BackendWasmLike): AconExports | null {
  const memory = heapMemory(backend);
  return memory ? instanceOn(memory) : null;
}

/** How the wasm kernels run on this tfjs `wasm` backend: the SIMD module on its heap, or the JS fallback loop. */
export function aconWasmKernelKind(backend: unknown): 'simd' | 'js' {
  return kernelsFor(backend as BackendWasmLike) ? 'simd' : 'js';
}

function offset(backend: BackendWasmLike, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}

function checkFloat32(kernel: string, inputs: Record<string, TensorInfo | undefined>): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t && t.dtype !== 'float32') throw new TypeError(`${kernel} (wasm): ${name} must be float32, got ${t.dtype}`);
  }
}

/**
 * With p1/p2 shared (Cp = 1), consecutive rows that also share β (or use consecutive β entries)
 * form one longer row: [N,S,C] → [N,1,S·C] → [1,1,N·S·C]. Same memory order, so the kernel sees
 * long rows and runs 4-wide even for C = 1 or C % 4 ≠ 0.
 */
function mergeRows(L: AconCLayout): AconCLayout {
  let { N, S, C, Nb, Sb, Cb } = L;
  if (L.Cp !== 1) return L;
  if (Sb === 1 && Cb === 1) {
    C *= S;
    S = 1;
  } else if (Sb === S && Cb === C) {
    C *= S;
    Cb = C;
    S = 1;
    Sb = 1;
  } else return L;
  if (Nb === 1 && Cb === 1) {
    C *= N;
    N = 1;
  } else if (Nb === N && Cb === C) {
    C *= N;
    Cb = C;
    N = 1;
    Nb = 1;
  }
  return { N, S, C, Cp: 1, Nb, Sb, Cb };
}

/** The cpu kernels' view of the wasm heap, for when the SIMD module cannot run on this heap. */
function cpuView(backend: BackendWasmLike) {
  return {
    data: {
      get(dataId: object) {
        const { memoryOffset, shape } = backend.dataIdMap.get(dataId);
        return { values: new Float32Array(backend.wasm.HEAPU8.buffer, memoryOffset, util.sizeFromShape(shape)) };
      },
    },
    makeTensorInfo: (shape: number[], dtype: 'float32', values: Float32Array) => backend.makeOutput(shape, dtype, undefined, values),
  };
}

/** 1 for the hard-sigmoid gate, 0 for σ; anything else is an error naming the kernel. */
function hardFlag(kernel: string, attrs: Partial<AconCAttrs> | undefined): number {
  const gate = attrs?.gate ?? 'sigmoid';
  if (gate !== 'sigmoid' && gate !== 'hardSigmoid')
    throw new Error(`${kernel} (wasm): gate must be 'sigmoid' or 'hardSigmoid', got '${String(gate)}'`);
  return gate === 'hardSigmoid' ? 1 : 0;
}

function aconCForwardWasm(args: { inputs: AconCInputs; backend: unknown; attrs?: Partial<AconCAttrs> }): TensorInfo {
  const backend = args.backend as BackendWasmLike;
  const { x, p1, p2, beta } = args.inputs;
  checkFloat32(ACON_C, args.inputs);
  const hard = hardFlag(ACON_C, args.attrs);
  const k = kernelsFor(backend);
  if (!k) return aconCForwardCpu({ inputs: args.inputs, backend: cpuView(backend), attrs: args.attrs });
  const y = backend.makeOutput(x.shape, 'float32');
  const { N, S, C, Cp, Nb, Sb, Cb } = mergeRows(aconCLayout(x, p1, beta));
  const call: AconForwardArgs = [
    offset(backend, x),
    offset(backend, p1),
    offset(backend, p2),
    offset(backend, beta),
    offset(backend, y),
    N,
    S,
    C,
    Cp,
    Nb,
    Sb,
    Cb,
    hard,
  ];
  if (!aconKernelSplitter()?.forward(k, heapMemory(backend)!, call)) k.aconCForward(...call);
  return y;
}

function aconCBackwardWasm(args: { inputs: AconCGradInputs; backend: unknown; attrs?: Partial<AconCAttrs> }): TensorInfo[] {
  const backend = args.backend as BackendWasmLike;
  const { x, p1, p2, beta, dy } = args.inputs;
  checkFloat32(ACON_C_GRAD, args.inputs);
  const hard = hardFlag(ACON_C_GRAD, args.attrs);
  const k = kernelsFor(backend);
  if (!k) return aconCBackwardCpu({ inputs: args.inputs, backend: cpuView(backend), attrs: args.attrs });
  const { N, S, C, Cp, Nb, Sb, Cb } = mergeRows(aconCLayout(x, p1, beta));
  const dx = backend.makeOutput(x.shape, 'float32');
  const dp1 = backend.makeOutput(p1.shape, 'float32');
  const dp2 = backend.makeOutput(p2.shape, 'float32');
  const dbeta = backend.makeOutput(beta.shape, 'float32');
  // float64 accumulators on the same heap, 16-byte aligned (malloc guarantees only 8).
  const scratchBytes = k.aconCBackwardScratchBytes(N, S, C, Cp, Nb, Sb, Cb) + 16;
  const malloc = backend.wasm._malloc,
    free = backend.wasm._free;
  let scratchInfo: TensorInfo | undefined, raw: number;
  if (malloc && free) {
    raw = malloc(scratchBytes) >>> 0;
    if (raw === 0) throw new Error(`${ACON_C_GRAD} (wasm): out of memory allocating ${scratchBytes} bytes of scratch`);
  } else {
    raw = offset(backend, (scratchInfo = backend.makeOutput([Math.ceil(scratchBytes / 4)], 'float32')));
  }
  try {
    const call: AconBackwardArgs = [
      offset(backend, x),
      offset(backend, p1),
      offset(backend, p2),
      offset(backend, beta),
      offset(backend, dy),
      offset(backend, dx),
      offset(backend, dp1),
      offset(backend, dp2),
      offset(backend, dbeta),
      ((raw + 15) & ~15) >>> 0,
      N,
      S,
      C,
      Cp,
      Nb,
      Sb,
      Cb,
      hard,
    ];
    if (!(malloc && free && aconKernelSplitter()?.backward(k, heapMemory(backend)!, call, { malloc, free }))) k.aconCBackward(...call);
  } finally {
    if (scratchInfo) backend.disposeData(scratchInfo.dataId, true);
    else free!(raw);
  }
  return [dx, dp1, dp2, dbeta];
}

const configs: KernelConfig[] = [
  { kernelName: ACON_C, backendName: 'wasm', kernelFunc: aconCForwardWasm as unknown as KernelFunc },
  { kernelName: ACON_C_GRAD, backendName: 'wasm', kernelFunc: aconCBackwardWasm as unknown as KernelFunc },
];

/**
 * Registers `AconC` and `AconCGrad` for the `wasm` backend if the SIMD module compiles here
 * (synchronously, or already by `initAconWasm`). Idempotent; returns whether they are registered.
 */
export function registerAconCWasmKernels(): boolean {
  if (!compileSync()) return false;
  for (const c of configs) if (!getKernel(c.kernelName, c.backendName)) registerKernel(c);
  return true;
}

/**
 * Compiles the SIMD module asynchronously (for browser main threads, where synchronous compilation
 * of larger modules is refused) and registers the wasm kernels. Resolves also when WebAssembly
 * SIMD is unavailable; the op then keeps its generic path. Compiles the builds for a private and a
 * shared memory (relaxed SIMD where the engine has it), so the kernels attach to tfjs's threaded
 * build as well.
 */
export async function initAconWasm(): Promise<void> {
  for (const shared of [false, true]) {
    try {
      if (typeof WebAssembly === 'object') await compileKernelModuleAsync(kernelBuild(aconBuilds, shared));
    } catch {
      // No SIMD here: the op keeps its generic path.
    }
  }
  registerAconCWasmKernels();
}
