/**
 * A shared heap for tfjs-backend-wasm in Node, so that kernel threads can work on the tensors in
 * place. The Node build of tfjs-backend-wasm 4.x is single-threaded and defines its
 * `WebAssembly.Memory` inside the module; at the backend's initialisation the module's bytes are
 * rewritten so that the memory is an import `env.memory` instead (same limits, shared flag set) and
 * a shared `WebAssembly.Memory` is supplied. Its memory export (index 0) and its data segments
 * stay as they are, so the module and its emscripten glue run unchanged (memory growth with
 * `memory.grow` and the refreshed views work the same on a shared memory).
 */
import * as tf from '@tensorflow/tfjs-core';
import { isSharedMemory } from '../../wasm/kernel_module.js';

const MEMORY_SECTION = 5,
  IMPORT_SECTION = 2,
  MEMORY_KIND = 2,
  LIMITS_SHARED_MAX = 3;

function readU32(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0,
    shift = 0,
    b: number;
  do {
    b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return [value, at];
}

function u32(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value) b |= 0x80;
    out.push(b);
  } while (value);
  return out;
}

const name = (s: string) => [...u32(s.length), ...[...s].map((c) => c.charCodeAt(0))];

/** The limits of a module's own memory, in 64 KiB pages. */
export interface MemoryLimits {
  initial: number;
  maximum: number;
}

/**
 * `bytes` with its one defined memory turned into an import `env.memory` of a shared memory with
 * the same limits (the maximum is required for a shared memory: 65536 pages if the module has
 * none). Undefined if the module does not define exactly one memory or already imports one.
 */
export function importSharedMemory(bytes: Uint8Array): { bytes: Uint8Array<ArrayBuffer>; limits: MemoryLimits } | undefined {
  if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) return undefined;
  const sections: { id: number; start: number; body: number; end: number }[] = [];
  for (let at = 8; at < bytes.length;) {
    const id = bytes[at];
    const [size, body] = readU32(bytes, at + 1);
    sections.push({ id, start: at, body, end: body + size });
    at = body + size;
  }
  const memory = sections.find((s) => s.id === MEMORY_SECTION);
  if (!memory) return undefined;
  // A module without imports gets an import section before the first section that follows it.
  const imports = sections.find((s) => s.id === IMPORT_SECTION) ?? { id: IMPORT_SECTION, start: -1, body: -1, end: -1 };
  if (imports.start < 0) {
    const next = sections.findIndex((s) => s.id > IMPORT_SECTION);
    sections.splice(next < 0 ? sections.length : next, 0, imports);
  }
  const [count, limitsAt] = readU32(bytes, memory.body);
  if (count !== 1) return undefined;
  const flags = bytes[limitsAt];
  const [initial, maxAt] = readU32(bytes, limitsAt + 1);
  const maximum = flags & 1 ? readU32(bytes, maxAt)[0] : 65536;
  // An imported memory would take index 0 before the defined one.
  if (WebAssembly.Module.imports(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)).some((i) => i.kind === 'memory'))
    return undefined;

  const [importCount, entriesAt] = imports.start < 0 ? [0, 0] : readU32(bytes, imports.body);
  const entries = imports.start < 0 ? [] : [...bytes.subarray(entriesAt, imports.end)];
  entries.push(...name('env'), ...name('memory'), MEMORY_KIND, LIMITS_SHARED_MAX, ...u32(initial), ...u32(maximum));
  const importBody = [...u32(importCount + 1), ...entries];
  const parts: ArrayLike<number>[] = [bytes.subarray(0, 8)];
  for (const s of sections) {
    if (s === memory) continue;
    parts.push(s === imports ? [IMPORT_SECTION, ...u32(importBody.length), ...importBody] : bytes.subarray(s.start, s.end));
  }
  const out = new Uint8Array(new ArrayBuffer(parts.reduce((n, p) => n + p.length, 0)));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return { bytes: out, limits: { initial, maximum } };
}

type Instantiate = typeof WebAssembly.instantiate;

/**
 * Runs `init` with `WebAssembly.instantiate` wrapped so that a module instantiated from bytes with
 * an emscripten import object (`env`, no `env.memory`) gets a shared memory; restores it after.
 * Returns init's result and the memory it received (undefined if no module was rewritten).
 */
async function withSharedMemoryInstantiate<T>(init: () => Promise<T>): Promise<{ result: T; memory?: WebAssembly.Memory }> {
  const original: Instantiate = WebAssembly.instantiate;
  let memory: WebAssembly.Memory | undefined;
  const wrapped = function (source: unknown, imports?: WebAssembly.Imports) {
    const env = imports?.env as Record<string, unknown> | undefined;
    if (!memory && env && !('memory' in env) && (ArrayBuffer.isView(source) || source instanceof ArrayBuffer)) {
      const view = ArrayBuffer.isView(source)
        ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
        : new Uint8Array(source);
      const rewritten = importSharedMemory(view);
      if (rewritten) {
        memory = new WebAssembly.Memory({ ...rewritten.limits, shared: true });
        return original(rewritten.bytes, { ...imports, env: { ...env, memory } });
      }
    }
    return (original as (s: unknown, i?: WebAssembly.Imports) => Promise<unknown>)(source, imports);
  } as Instantiate;
  WebAssembly.instantiate = wrapped;
  try {
    const result = await init();
    return { result, memory };
  } finally {
    if (WebAssembly.instantiate === wrapped) WebAssembly.instantiate = original;
  }
}

const SHARED = Symbol.for('acon.sharedWasmHeap');
type Factory = (() => tf.KernelBackend | Promise<tf.KernelBackend>) & { [SHARED]?: true };

/** The heap memory of a tfjs wasm backend instance (exported by its module). */
export function wasmBackendMemory(backend: unknown): WebAssembly.Memory | undefined {
  const wasm = (backend as { wasm?: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory } }).wasm;
  return wasm?.asm?.memory ?? wasm?.wasmMemory;
}

/**
 * Makes the `wasm` backend, when it initialises, run on a shared heap: re-registers its factory
 * (same priority) with the rewrite above around the original. If the rewritten module fails, the
 * original factory runs unchanged (private heap). Does nothing if the backend is not registered or
 * already initialised (its heap cannot change then), unless `restart` is set: then a backend on a
 * private heap is disposed first, with every tensor on it. Idempotent; returns whether the factory is wrapped.
 */
export function shareWasmBackendHeap(opts: { restart?: boolean } = {}): boolean {
  const engine = tf.engine() as unknown as { registry: Record<string, unknown>; registryFactory: Record<string, { priority: number }> };
  const factory = tf.findBackendFactory('wasm') as Factory | null;
  if (!factory) return false;
  if (opts.restart && engine.registry.wasm && !isSharedMemory(wasmBackendMemory(engine.registry.wasm)!)) {
    // Dispose the backend on its private heap (its tensors are lost); the next use initialises it again.
    const priority = engine.registryFactory.wasm?.priority ?? 1;
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', factory, priority);
  }
  if (factory[SHARED]) return true;
  if (engine.registry.wasm) return false;
  const priority = engine.registryFactory.wasm?.priority ?? 1;
  const shared: Factory = async () => {
    try {
      const { result, memory } = await withSharedMemoryInstantiate(async () => factory());
      if (memory && wasmBackendMemory(result) !== memory) throw new Error('acon: the wasm backend did not take the shared heap');
      return result;
    } catch {
      return factory();
    }
  };
  shared[SHARED] = true;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', shared, priority);
  return true;
}
