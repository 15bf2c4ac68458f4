/** The one loader of the compiled AssemblyScript kernel modules. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { wasmBase64 as copyWasm } from '../../src/node/simd/copy.wasm.generated.js';
import { compileKernelModule, compileKernelModuleAsync, kernelInstance, wasmBytes } from '../../src/wasm/kernel_module.js';

/** The smallest module: the magic `\0asm` and version 1. */
const EMPTY_MODULE = 'AGFzbQEAAAA=';

describe('kernel module loader', () => {
  it('decodes base64 to the module bytes', () => {
    assert.deepEqual(Array.from(wasmBytes(EMPTY_MODULE)), [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  });

  it('compiles once per source, synchronously or not', async () => {
    const mod = compileKernelModule(EMPTY_MODULE);
    assert.ok(mod instanceof WebAssembly.Module);
    assert.equal(compileKernelModule(EMPTY_MODULE), mod);
    assert.equal(await compileKernelModuleAsync(EMPTY_MODULE), mod);
    const fresh = await compileKernelModuleAsync(copyWasm);
    assert.equal(compileKernelModule(copyWasm), fresh);
  });

  it('rejects bytes that are not a module', async () => {
    assert.throws(() => compileKernelModule('AAAA'), WebAssembly.CompileError);
    await assert.rejects(compileKernelModuleAsync('AAAA'), WebAssembly.CompileError);
  });

  it('instantiates a kernel on a given memory, working in place on it', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const heap = new Uint8Array(memory.buffer);
    heap.set([1, 2, 3, 4, 5, 6], 0);
    const k = kernelInstance<{
      copyRows(src: number, dst: number, rows: number, rowBytes: number, srcStride: number, dstStride: number): void;
    }>(copyWasm, memory);
    k.copyRows(0, 100, 2, 2, 3, 2);
    assert.deepEqual(Array.from(heap.subarray(100, 104)), [1, 2, 4, 5]);
  });
});
