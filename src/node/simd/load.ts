/**
 * Instantiates a compiled AssemblyScript kernel module (`*.wasm.generated.ts`) on a given
 * `WebAssembly.Memory`, so that it works in place on that heap. Compiled modules are cached.
 */
const modules = new Map<string, WebAssembly.Module>();

export function instantiateOn<T>(wasmBase64: string, memory: WebAssembly.Memory): T {
  let mod = modules.get(wasmBase64);
  if (!mod) modules.set(wasmBase64, (mod = new WebAssembly.Module(Buffer.from(wasmBase64, 'base64'))));
  return new WebAssembly.Instance(mod, { env: { memory } }).exports as T;
}
