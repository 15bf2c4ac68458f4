/** The one loader of the compiled AssemblyScript kernel modules. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as gemmBuilds from '../../src/node/simd/gemm.wasm.generated.js';
import { wasmBase64 as copyWasm } from '../../src/node/simd/copy.wasm.generated.js';
import { enableRelaxedSimd } from '../../src/node/relaxed_simd.js';
import * as aconBuilds from '../../src/ops/simd/acon.wasm.generated.js';
import {
  allowRelaxedSimd,
  compileKernelModule,
  compileKernelModuleAsync,
  kernelBuild,
  kernelInstance,
  relaxedSimd,
  wasmBytes,
} from '../../src/wasm/kernel_module.js';

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

describe('relaxed-SIMD builds', () => {
  const builds = { wasmBase64: 'P', wasmSharedBase64: 'S', wasmRelaxedBase64: 'RP', wasmRelaxedSharedBase64: 'RS' };

  it('acon/node turns them on (V8 flag on Node 20) unless ACON_RELAXED_SIMD=0', () => {
    assert.equal(enableRelaxedSimd({ ACON_RELAXED_SIMD: '0' }), false);
    assert.equal(relaxedSimd(), false);
    assert.equal(kernelBuild(builds, false), 'P');
    assert.equal(kernelBuild(builds, true), 'S');
    assert.equal(enableRelaxedSimd({}), true);
    assert.equal(relaxedSimd(), true);
    assert.equal(kernelBuild(builds, false), 'RP');
    assert.equal(kernelBuild(builds, true), 'RS');
    // A source without multiply-adds has only the plain pair.
    assert.equal(kernelBuild({ wasmBase64: 'P', wasmSharedBase64: 'S' }, true), 'S');
    allowRelaxedSimd(false);
    assert.equal(kernelBuild(builds, false), 'P');
    allowRelaxedSimd(true);
  });

  it('exist for the GEMMs and the ACON kernels, and compile once the engine has relaxed SIMD', () => {
    enableRelaxedSimd({});
    for (const b of [gemmBuilds, aconBuilds]) {
      assert.ok(b.wasmRelaxedBase64 && b.wasmRelaxedSharedBase64);
      assert.notEqual(b.wasmRelaxedBase64, b.wasmBase64);
      assert.ok(compileKernelModule(b.wasmRelaxedBase64) instanceof WebAssembly.Module);
    }
  });

  it('the relaxed GEMM agrees with the plain one to float32 rounding', () => {
    enableRelaxedSimd({});
    type Gemm = { gemm(a: number, b: number, out: number, M: number, K: number, N: number, pack: number): void };
    const memory = new WebAssembly.Memory({ initial: 4 });
    const [M, K, N] = [13, 37, 19],
      pack = 3 << 16;
    const f = new Float32Array(memory.buffer);
    for (let i = 0; i < M * K + K * N; i++) f[i] = Math.sin(i * 0.7) * 3;
    const [a, b, o1, o2] = [0, M * K * 4, (M * K + K * N) * 4, (M * K + K * N + M * N) * 4];
    kernelInstance<Gemm>(gemmBuilds.wasmBase64, memory).gemm(a, b, o1, M, K, N, pack);
    kernelInstance<Gemm>(gemmBuilds.wasmRelaxedBase64, memory).gemm(a, b, o2, M, K, N, pack);
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let exact = 0,
          scale = 0;
        for (let k = 0; k < K; k++)
          ((exact += f[i * K + k] * f[M * K + k * N + j]), (scale += Math.abs(f[i * K + k] * f[M * K + k * N + j])));
        for (const out of [o1, o2]) assert.ok(Math.abs(f[out / 4 + i * N + j] - exact) <= 1e-6 * scale, `out[${i},${j}]`);
      }
  });
});
