/**
 * Float64 matrix products for the fused Meta-ACON generator (`meta_acon_fused.ts`):
 * out[m,p] = init[p] + Σ_k a[m,k]·b[k,p], each sum in ascending k with one rounding per multiply
 * and per add. They run on the SIMD module `ops/simd/matmul64.as.ts` on a memory of its own, or,
 * where WebAssembly SIMD is unavailable, as the same loop in JavaScript: the results are the same
 * bits either way (tested).
 */
import * as builds from '../ops/simd/matmul64.wasm.generated.js';
import { kernelInstance } from '../wasm/kernel_module.js';

interface Matmul64Exports {
  matmul64(a: number, b: number, out: number, M: number, K: number, P: number, init: number): void;
}

const PAGE = 65536;
/** The arrays start past a reserved block, so that no pointer is 0 (the kernel's "no init"). */
const FIRST = 16;
let wasm: { memory: WebAssembly.Memory; exports: Matmul64Exports } | null | undefined;

function wasmKernel() {
  if (wasm === undefined) {
    try {
      const memory = new WebAssembly.Memory({ initial: 1 });
      wasm = { memory, exports: kernelInstance<Matmul64Exports>(builds.wasmBase64, memory) };
    } catch {
      wasm = null;
    }
  }
  return wasm;
}

/** a [M,K] · b [K,P] (+ init [P] on every row), in float64. */
export type Matmul64 = (
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  M: number,
  K: number,
  P: number,
  init?: ArrayLike<number>,
) => Float64Array;

/** Where the products run: the SIMD module, or JavaScript where it cannot be instantiated. */
export function matmul64Engine(): 'wasm' | 'js' {
  return wasmKernel() ? 'wasm' : 'js';
}

/** The JavaScript loop (where the module cannot run, and as the tests' reference). */
export const matmul64Js: Matmul64 = (a, b, M, K, P, init) => {
  const out = new Float64Array(M * P);
  for (let m = 0; m < M; m++)
    for (let p = 0; p < P; p++) {
      let s = init ? init[p] : 0;
      for (let k = 0; k < K; k++) s += a[m * K + k] * b[k * P + p];
      out[m * P + p] = s;
    }
  return out;
};

/** The products, on the SIMD module where it runs. */
export const matmul64: Matmul64 = (a, b, M, K, P, init) => {
  const k = wasmKernel();
  if (!k) return matmul64Js(a, b, M, K, P, init);
  const offsets = [M * K, K * P, init ? P : 0, M * P].reduce<number[]>((at, n, i) => [...at, at[i] + 8 * (n + (n & 1))], [FIRST]);
  const bytes = offsets[4];
  if (k.memory.buffer.byteLength < bytes) k.memory.grow(Math.ceil((bytes - k.memory.buffer.byteLength) / PAGE));
  const view = (i: number, n: number) => new Float64Array(k.memory.buffer, offsets[i], n);
  view(0, M * K).set(a);
  view(1, K * P).set(b);
  if (init) view(2, P).set(init);
  k.exports.matmul64(offsets[0], offsets[1], offsets[3], M, K, P, init ? offsets[2] : 0);
  return view(3, M * P).slice();
};
