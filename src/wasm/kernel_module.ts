/**
 * The one loader of the AssemblyScript kernel modules that `scripts/build-wasm.mjs` compiles into
 * `*.wasm.generated.ts` (base64 bytes; SIMD, imported memory, no data segments), so that a kernel
 * can be instantiated on another module's `WebAssembly.Memory` and work in place on its heap.
 * Browser-safe (no `Buffer`); compiled modules are cached per source.
 */
const compiled = new Map<string, WebAssembly.Module>();

/** The bytes of a base64-encoded module. */
export function wasmBytes(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/**
 * Compiles synchronously (allowed in Node and workers; browser main threads refuse larger modules).
 * Throws where WebAssembly or SIMD is unavailable.
 */
export function compileKernelModule(base64: string): WebAssembly.Module {
  let mod = compiled.get(base64);
  if (!mod) compiled.set(base64, (mod = new WebAssembly.Module(wasmBytes(base64))));
  return mod;
}

/** Compiles asynchronously, for browser main threads. Throws where WebAssembly or SIMD is unavailable. */
export async function compileKernelModuleAsync(base64: string): Promise<WebAssembly.Module> {
  let mod = compiled.get(base64);
  if (!mod) compiled.set(base64, (mod = await WebAssembly.compile(wasmBytes(base64))));
  return mod;
}

/** A new instance of `mod` working on `memory`; its exports, typed as `T`. */
export function instantiateOn<T>(mod: WebAssembly.Module, memory: WebAssembly.Memory): T {
  return new WebAssembly.Instance(mod, { env: { memory } }).exports as T;
}

/**
 * The builds of a kernel source, as `scripts/build-wasm.mjs` writes them: for a private and a shared
 * memory, and, for sources using the multiply-adds of `fma.as.lib.ts`, the same two with relaxed
 * SIMD (fused multiply-adds).
 */
export interface KernelBuilds {
  wasmBase64: string;
  wasmSharedBase64: string;
  wasmRelaxedBase64?: string;
  wasmRelaxedSharedBase64?: string;
}

/** `(func (param v128 v128 v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))`. */
const RELAXED_SIMD_PROBE = 'AGFzbQEAAAABCAFgA3t7ewF7AwIBAAoNAQsAIAAgASAC/YUCCw==';
let relaxedAllowed = true;
let relaxedValid: boolean | undefined;

/**
 * Whether kernels take their relaxed-SIMD builds: where the engine validates relaxed SIMD (Chromium
 * 114+, Node 22+; Node 20 once `acon/node` has set V8's flag) and `allowRelaxedSimd(false)` was not
 * called. Their results may differ from the other builds' in the last bits (one rounding per
 * multiply-add instead of two).
 */
export function relaxedSimd(): boolean {
  relaxedValid ??= typeof WebAssembly === 'object' && WebAssembly.validate(wasmBytes(RELAXED_SIMD_PROBE));
  return relaxedAllowed && relaxedValid;
}

/**
 * Allows or forbids the relaxed-SIMD builds for kernels instantiated from now on (and asks the
 * engine again whether it has relaxed SIMD, which a V8 flag may have just turned on).
 */
export function allowRelaxedSimd(allowed: boolean): void {
  relaxedAllowed = allowed;
  relaxedValid = undefined;
}

/**
 * `make(memory)` cached per memory and per `relaxedSimd()` setting, so that kernels instantiated
 * on a heap follow `allowRelaxedSimd`.
 */
export function perMemoryAndBuild<T>(make: (memory: WebAssembly.Memory) => T): (memory: WebAssembly.Memory) => T {
  const cache = new WeakMap<WebAssembly.Memory, { plain?: T; relaxed?: T }>();
  return (memory) => {
    let both = cache.get(memory);
    if (!both) cache.set(memory, (both = {}));
    const which = relaxedSimd() ? 'relaxed' : 'plain';
    if (!(which in both)) both[which] = make(memory);
    return both[which] as T;
  };
}

/** Whether `memory` is shared between threads (then only the shared-memory build links to it). */
export function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
}

/** The build to instantiate on a private or a shared memory: relaxed SIMD where `relaxedSimd()`. */
export function kernelBuild(builds: KernelBuilds, shared: boolean): string {
  const relaxed = relaxedSimd() ? (shared ? builds.wasmRelaxedSharedBase64 : builds.wasmRelaxedBase64) : undefined;
  return relaxed ?? (shared ? builds.wasmSharedBase64 : builds.wasmBase64);
}

/** `kernelInstance` of the build that `memory` takes. */
export function kernelInstanceOn<T>(builds: KernelBuilds, memory: WebAssembly.Memory): T {
  return kernelInstance<T>(kernelBuild(builds, isSharedMemory(memory)), memory);
}

/** `instantiateOn` of the synchronously compiled module of `base64`. */
export function kernelInstance<T>(base64: string, memory: WebAssembly.Memory): T {
  return instantiateOn<T>(compileKernelModule(base64), memory);
}
