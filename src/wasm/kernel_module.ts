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

/** Both builds of a kernel source, as `scripts/build-wasm.mjs` writes them. */
export interface KernelBuilds {
  wasmBase64: string;
  wasmSharedBase64: string;
}

/** Whether `memory` is shared between threads (then only the shared-memory build links to it). */
export function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
}

/** `kernelInstance` of the build that `memory` takes (private or shared). */
export function kernelInstanceOn<T>(builds: KernelBuilds, memory: WebAssembly.Memory): T {
  return kernelInstance<T>(isSharedMemory(memory) ? builds.wasmSharedBase64 : builds.wasmBase64, memory);
}

/** `instantiateOn` of the synchronously compiled module of `base64`. */
export function kernelInstance<T>(base64: string, memory: WebAssembly.Memory): T {
  return instantiateOn<T>(compileKernelModule(base64), memory);
}
