// Row-major single-precision GEMMs on the host heap (pointers are byte offsets), with register
// tiles of 4 rows × 8 columns of out and K split into blocks of KC that stay in cache; the
// multiply-adds are fused in the relaxed-SIMD builds (fma.as.lib.ts).

import { madd } from '../../wasm/fma.as.lib';

const KC = 256;

/** Floats of the scratch that `gemm` packs b's panels into. */
export function gemmPackFloats(): i32 {
  return KC * 8;
}

/**
 * out[M×N] = a[M×K] · b[K×N]. Each panel of 8 columns × KC rows of b is first copied to `pack`
 * (gemmPackFloats() floats), contiguous, so that the tiles read it from L1 whatever b's row stride
 * (rows 2 KiB apart, as at N = 512, map to a few L1 sets and evict each other).
 */
export function gemm(a: usize, b: usize, out: usize, M: i32, K: i32, N: i32, pack: usize): void {
  memory.fill(out, 0, (M * N) << 2);
  const M4 = M & ~3, N8 = N & ~7, rowBytes = <usize>N << 2;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const k1 = min(K, k0 + KC);
    for (let j = 0; j < N8; j += 8) {
      let src = b + ((<usize>k0 * N + j) << 2), dst = pack;
      for (let k = k0; k < k1; k++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        src += rowBytes;
        dst += 32;
      }
      let i = 0;
      for (; i < M4; i += 4) tile4x8(a, pack, out, K, N, i, j, k0, k1);
      for (; i < M; i++) tile1x8(a, pack, out, K, N, i, j, k0, k1);
    }
    for (let j = N8; j < N; j++) for (let i = 0; i < M; i++) dot(a, b, out, K, N, i, j, k0, k1);
  }
}

/** out[i..i+4, j..j+8] += a[i..i+4, k0..k1] · panel, the panel packed as 8 floats per k. */
// @ts-ignore: decorator
@inline function tile4x8(a: usize, panel: usize, out: usize, K: i32, N: i32, i: i32, j: i32, k0: i32, k1: i32): void {
  const o0 = out + ((<usize>i * N + j) << 2), rowBytes = <usize>N << 2;
  const o1 = o0 + rowBytes, o2 = o1 + rowBytes, o3 = o2 + rowBytes;
  let c00 = v128.load(o0), c01 = v128.load(o0, 16), c10 = v128.load(o1), c11 = v128.load(o1, 16);
  let c20 = v128.load(o2), c21 = v128.load(o2, 16), c30 = v128.load(o3), c31 = v128.load(o3, 16);
  const aRow = <usize>K << 2;
  let pa = a + ((<usize>i * K + k0) << 2);
  let pb = panel;
  for (let k = k0; k < k1; k++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa), a1 = v128.load32_splat(pa + aRow);
    const a2 = v128.load32_splat(pa + 2 * aRow), a3 = v128.load32_splat(pa + 3 * aRow);
    c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01);
    c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11);
    c20 = madd(a2, b0, c20); c21 = madd(a2, b1, c21);
    c30 = madd(a3, b0, c30); c31 = madd(a3, b1, c31);
    pa += 4; pb += 32;
  }
  v128.store(o0, c00); v128.store(o0, c01, 16); v128.store(o1, c10); v128.store(o1, c11, 16);
  v128.store(o2, c20); v128.store(o2, c21, 16); v128.store(o3, c30); v128.store(o3, c31, 16);
}

// @ts-ignore: decorator
@inline function tile1x8(a: usize, panel: usize, out: usize, K: i32, N: i32, i: i32, j: i32, k0: i32, k1: i32): void {
  const o = out + ((<usize>i * N + j) << 2);
  let c0 = v128.load(o), c1 = v128.load(o, 16);
  let pa = a + ((<usize>i * K + k0) << 2);
  let pb = panel;
  for (let k = k0; k < k1; k++) {
    const s = v128.load32_splat(pa);
    c0 = madd(s, v128.load(pb), c0);
    c1 = madd(s, v128.load(pb, 16), c1);
    pa += 4; pb += 32;
  }
  v128.store(o, c0); v128.store(o, c1, 16);
}

// @ts-ignore: decorator
@inline function dot(a: usize, b: usize, out: usize, K: i32, N: i32, i: i32, j: i32, k0: i32, k1: i32): void {
  const o = out + ((<usize>i * N + j) << 2);
  let s = load<f32>(o);
  for (let k = k0; k < k1; k++) s += load<f32>(a + ((<usize>i * K + k) << 2)) * load<f32>(b + ((<usize>k * N + j) << 2));
  store<f32>(o, s);
}

/**
 * out[M×N] += a[K×M]ᵀ · b[K×N]: for long K and small M, N, as in filter gradients (a = im2col(x),
 * b = dy, K = N·OH·OW). Accumulates, so that K can also be split across calls.
 */
export function gemmTN(a: usize, b: usize, out: usize, M: i32, K: i32, N: i32): void {
  const M4 = M & ~3, N8 = N & ~7;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const k1 = min(K, k0 + KC);
    for (let j = 0; j < N8; j += 8) {
      let i = 0;
      for (; i < M4; i += 4) tileT4x8(a, b, out, M, N, i, j, k0, k1);
      for (; i < M; i++) tileT1x8(a, b, out, M, N, i, j, k0, k1);
    }
    for (let j = N8; j < N; j++) for (let i = 0; i < M; i++) dotT(a, b, out, M, N, i, j, k0, k1);
  }
}

// @ts-ignore: decorator
@inline function tileT4x8(a: usize, b: usize, out: usize, M: i32, N: i32, i: i32, j: i32, k0: i32, k1: i32): void {
  const o0 = out + ((<usize>i * N + j) << 2), rowBytes = <usize>N << 2;
  const o1 = o0 + rowBytes, o2 = o1 + rowBytes, o3 = o2 + rowBytes;
  let c00 = v128.load(o0), c01 = v128.load(o0, 16), c10 = v128.load(o1), c11 = v128.load(o1, 16);
  let c20 = v128.load(o2), c21 = v128.load(o2, 16), c30 = v128.load(o3), c31 = v128.load(o3, 16);
  const aRow = <usize>M << 2;
  let pa = a + ((<usize>k0 * M + i) << 2);
  let pb = b + ((<usize>k0 * N + j) << 2);
  for (let k = k0; k < k1; k++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa), a1 = v128.load32_splat(pa, 4);
    const a2 = v128.load32_splat(pa, 8), a3 = v128.load32_splat(pa, 12);
    c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01);
    c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11);
    c20 = madd(a2, b0, c20); c21 = madd(a2, b1, c21);
    c30 = madd(a3, b0, c30); c31 = madd(a3, b1, c31);
    pa += aRow; pb += rowBytes;
  }
  v128.store(o0, c00); v128.store(o0, c01, 16); v128.store(o1, c10); v128.store(o1, c11, 16);
  v128.store(o2, c20); v128.store(o2, c21, 16); v128.store(o3, c30); v128.store(o3, c31, 16);
}

// @ts-ignore: decorator
@inline function tileT1x8(a: usize, b: usize, out: usize, M: i32, N: i32, i: i32, j: i32, k0: i32, k1: i32): void {
  const o = out + ((<usize>i * N + j) << 2), rowBytes = <usize>N << 2, aRow = <usize>M << 2;
  let c0 = v128.load(o), c1 = v128.load(o, 16);
  let pa = a + ((<usize>k0 * M + i) << 2);
  let pb = b + ((<usize>k0 * N + j) << 2);
  for (let k = k0; k < k1; k++) {
    const s = v128.load32_splat(pa);
    c0 = madd(s, v128.load(pb), c0);
    c1 = madd(s, v128.load(pb, 16), c1);
    pa += aRow; pb += rowBytes;
  }
  v128.store(o, c0); v128.store(o, c1, 16);
}

// @ts-ignore: decorator
@inline function dotT(a: usize, b: usize, out: usize, M: i32, N: i32, i: i32, j: i32, k0: i32, k1: i32): void {
  const o = out + ((<usize>i * N + j) << 2);
  let s = load<f32>(o);
  for (let k = k0; k < k1; k++) s += load<f32>(a + ((<usize>k * M + i) << 2)) * load<f32>(b + ((<usize>k * N + j) << 2));
  store<f32>(o, s);
}
