/**
 * Fused ACON-C kernels in WebAssembly SIMD (AssemblyScript), run in place on the host's heap:
 * the module imports `env.memory` (the tfjs wasm backend's memory), every pointer argument is a
 * byte offset into it, and the module has no data of its own. Layout and formulas:
 * `src/ops/acon/kernel_names.ts`; reference implementation: `src/ops/acon/cpu.ts`.
 *
 * Per element, with z = (β·(p1 − p2))·x, e = exp(−|z|) (into the subnormals, 0 below 2^−150),
 * s = σ(z), t = σ(−z), g′ = s·t (or, for the hard gate, s = h(z), t = h(−z), g′ = h′(z)):
 *   y  = x·(p1·s + p2·t)
 *   k  = s + z·g′,  k2 = t − z·g′   (z·g′ := 0 when g′ = 0)
 *   dx = dy·(p1·k + p2·k2)
 *   dp1 = Σ dy·x·k,  dp2 = Σ dy·x·k2,  dβ = Σ dy·d²·s·t  with d = (p1 − p2)·x
 * Non-finite inputs (kernel_names.ts): a vector with a NaN input, an infinite x or dy, or a 0·∞
 * in z takes a slow path that sets NaN-input lanes to NaN and the remaining NaN products (exact
 * zero times infinity) to their limit 0; finite vectors never pay for it.
 * Two paths: the tiled fast paths ("tiled fast paths" below: β constant over S, C % 4 = 0; the
 * layouts of AconC, Meta-ACON and ACON-A/B layers), and the general per-vector path for every
 * other layout (4 channels at a time, a partial vector for the last C % 4 channels), which forms
 * and sums the parameter-gradient terms in float64.
 */

import { madd, nmadd } from '../../wasm/fma.as.lib';

// ---- exp(w), w ≤ 0. Range reduction as in Cephes expf: w = n·ln2 + r, |r| ≤ ln2/2, ln2 split in
// two so that n·LN2_HI is exact; e^r ≈ 1 + r + r²·q(r) with q of degree 4 (a near-minimax fit,
// relative error 3.3e-9 on |r| ≤ ln2/2); 2^n from the exponent bits. ≤ 1 ulp on the normal range;
// results below it (w < ln 2^−126) are formed as (e^r·2^(n+64))·2^−64, so they round once into the
// subnormals (within one subnormal ulp), and exp(w) is 0 only where it is below 2^−150.
const LOG2E: f32 = 1.44269504088896341;
/** ln2 = LN2_HI − LN2_LO_NEG. */
const LN2_HI: f32 = 0.693359375;
const LN2_LO_NEG: f32 = -2.12194440e-4;
const Q0: f32 = 0.49999994;
const Q1: f32 = 0.166665152;
const Q2: f32 = 0.041668456;
const Q3: f32 = 0.00836941414;
const Q4: f32 = 0.0013813111;
/**
 * 1.5·2^23 + 191: adding it to |v| < 2^22 rounds v to an integer n (to nearest, ties even) held in
 * the low mantissa bits as n + 191, so (bits << 23) is 2^(n+64) for −190 ≤ n ≤ 63.
 */
const ROUND_BIAS: f32 = 12583103.0;
/** Arguments are clamped to it: exp(−104) < 2^−150 rounds to 0, as exp(w) does for every w below it. */
const EXP_CLAMP: f32 = -104.0;
/** 2^−64 and 2^64. */
const TWO_M64: f32 = 5.421010862427522e-20;
const TWO_P64: f32 = 18446744073709551616.0;

/**
 * 2^64·exp(w) lane-wise for w ≤ 0 (including −Inf): (1 + u)·K with u = r + r²·q(r) and
 * K = 2^(n+64), formed as u·K + K (u·K is exact, so this rounds once, as (1 + u) rounded times K,
 * with or without a fused multiply-add). A normal float32 for every w ≥ EXP_CLAMP.
 */
// @ts-ignore: decorator
@inline function expNonPositiveScaled(w0: v128): v128 {
  const w = f32x4.pmax(w0, f32x4.splat(EXP_CLAMP));
  const biased = madd(w, f32x4.splat(LOG2E), f32x4.splat(ROUND_BIAS));
  const n = f32x4.sub(biased, f32x4.splat(ROUND_BIAS));
  let r = nmadd(n, f32x4.splat(LN2_HI), w);
  r = nmadd(n, f32x4.splat(LN2_LO_NEG), r);
  let p = madd(f32x4.splat(Q4), r, f32x4.splat(Q3));
  p = madd(p, r, f32x4.splat(Q2));
  p = madd(p, r, f32x4.splat(Q1));
  p = madd(p, r, f32x4.splat(Q0));
  const u = madd(f32x4.mul(p, r), r, r);
  const k = i32x4.shl(biased, 23);
  return madd(u, k, k);
}

/** exp(w) for w ≤ 0: the ·2^−64 is exact on the normal range and rounds once below it. */
// @ts-ignore: decorator
@inline function expNonPositive(w: v128): v128 {
  return f32x4.mul(expNonPositiveScaled(w), f32x4.splat(TWO_M64));
}

/** Lanes where v is not NaN (all ones) or NaN (zero). */
// @ts-ignore: decorator
@inline function notNaN(v: v128): v128 {
  return f32x4.eq(v, v);
}

/** Lanes where some input is NaN. */
// @ts-ignore: decorator
@inline function anyNaN4(a: v128, b: v128, c: v128, d: v128): v128 {
  return v128.or(v128.or(f32x4.ne(a, a), f32x4.ne(b, b)), v128.or(f32x4.ne(c, c), f32x4.ne(d, d)));
}

/** Lanes where |v| is finite. */
// @ts-ignore: decorator
@inline function finite(v: v128): v128 {
  return f32x4.lt(f32x4.abs(v), f32x4.splat(Infinity));
}

/** NaN lanes of v become 0 (the limit of 0·∞), then the lanes of `nan` become NaN. */
// @ts-ignore: decorator
@inline function limitOrNaN(v: v128, nan: v128): v128 {
  return v128.or(v128.and(v, notNaN(v)), nan);
}

// @ts-ignore: decorator
@inline function limitOrNaN64(v: v128, nan: v128): v128 {
  return v128.or(v128.and(v, f64x2.eq(v, v)), nan);
}

/** exp(−|z|): 1/(1 + e) and e/(1 + e) are σ(±z), ordered by the sign of z (no cancellation). */
// @ts-ignore: decorator
@inline function expNegAbs(z: v128): v128 {
  return expNonPositive(v128.or(z, i32x4.splat(0x80000000)));
}

/** σ(z) (positive) or σ(−z) from r = 1/(1 + e) and e·r. */
// @ts-ignore: decorator
@inline function pick(z: v128, er: v128, r: v128, positive: bool): v128 {
  const pos = f32x4.ge(z, f32x4.splat(0));
  return positive ? v128.bitselect(r, er, pos) : v128.bitselect(er, r, pos);
}

/** h(±z) = clip(1/2 ± z/6, 0, 1). */
// @ts-ignore: decorator
@inline function hardGate(z: v128, positive: bool): v128 {
  const u = f32x4.mul(z, f32x4.splat(<f32>(1.0 / 6.0)));
  const v = positive ? f32x4.add(f32x4.splat(0.5), u) : f32x4.sub(f32x4.splat(0.5), u);
  return f32x4.pmin(f32x4.pmax(v, f32x4.splat(0)), f32x4.splat(1));
}

/** h′(z) = 1/6 on −3 < z < 3, 0 elsewhere (0 at the kinks, as PyTorch's hardsigmoid_backward). */
// @ts-ignore: decorator
@inline function hardSlope(z: v128): v128 {
  const inside = v128.and(f32x4.gt(z, f32x4.splat(-3)), f32x4.lt(z, f32x4.splat(3)));
  return v128.and(f32x4.splat(<f32>(1.0 / 6.0)), inside);
}

// ---- partial vectors for the last C % 4 channels (missing lanes read as 0, never written)

// @ts-ignore: decorator
@inline function loadN(p: usize, n: i32): v128 {
  if (n >= 4) return v128.load(p);
  if (n == 1) return v128.load32_zero(p);
  const v = v128.load64_zero(p);
  return n == 3 ? v128.load_lane<i32>(p + 8, v, 2) : v;
}

// @ts-ignore: decorator
@inline function storeN(p: usize, v: v128, n: i32): void {
  if (n >= 4) v128.store(p, v);
  else if (n == 1) v128.store_lane<i32>(p, v, 0);
  else {
    v128.store_lane<i64>(p, v, 0);
    if (n == 3) v128.store_lane<i32>(p + 8, v, 2);
  }
}

// @ts-ignore: decorator
@inline function splatF32(p: usize): v128 {
  return f32x4.splat(load<f32>(p));
}

/** Lanes 2, 3 of a f32x4 as f64x2. */
// @ts-ignore: decorator
@inline function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3));
}

/** Index of the β row used by sample n, position s. */
// @ts-ignore: decorator
@inline function betaRow(n: i32, s: i32, Nb: i32, Sb: i32): usize {
  return <usize>((Nb == 1 ? 0 : n) * Sb + (Sb == 1 ? 0 : s));
}

// @ts-ignore: decorator
@inline function round4(c: i32): usize {
  return <usize>((c + 3) & ~3);
}

// ================================================================ forward

/** y = x·(p1·s + p2·t) for 4 lanes. */
// @ts-ignore: decorator
@inline function aconY(x: v128, a: v128, b: v128, beta: v128, hard: bool): v128 {
  const zr = f32x4.mul(f32x4.mul(beta, f32x4.sub(a, b)), x);
  const zOk = notNaN(zr);
  const z = v128.and(zr, zOk);
  let s: v128, t: v128;
  if (hard) {
    s = hardGate(z, true);
    t = hardGate(z, false);
  } else {
    const e = expNegAbs(z);
    const onePlusE = f32x4.add(f32x4.splat(1), e);
    const r = f32x4.div(f32x4.splat(1), onePlusE), er = f32x4.div(e, onePlusE);
    s = pick(z, er, r, true);
    t = pick(z, er, r, false);
  }
  const y = f32x4.mul(x, f32x4.add(f32x4.mul(a, s), f32x4.mul(b, t)));
  if (i32x4.all_true(v128.and(zOk, finite(x)))) return y;
  return limitOrNaN(y, anyNaN4(x, a, b, beta));
}

// @ts-ignore: decorator
@inline function forwardAll(x: usize, p1: usize, p2: usize, beta: usize, y: usize,
  N: i32, S: i32, C: i32, Nb: i32, Sb: i32, Cb: i32, pSplat: bool, bSplat: bool, hard: bool): void {
  const a0 = splatF32(p1), b0 = splatF32(p2);
  const rowBytes = <usize>C << 2;
  const full = C & ~3, rest = C - full;
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < S; s++) {
      const row = <usize>(n * S + s) * rowBytes;
      const xr = x + row, yr = y + row;
      const br = beta + ((betaRow(n, s, Nb, Sb) * <usize>Cb) << 2);
      const bet0 = splatF32(br);
      for (let c = 0; c < full; c += 4) {
        const o = <usize>c << 2;
        const a = pSplat ? a0 : v128.load(p1 + o);
        const b = pSplat ? b0 : v128.load(p2 + o);
        const bet = bSplat ? bet0 : v128.load(br + o);
        v128.store(yr + o, aconY(v128.load(xr + o), a, b, bet, hard));
      }
      if (rest) {
        const o = <usize>full << 2;
        const a = pSplat ? a0 : loadN(p1 + o, rest);
        const b = pSplat ? b0 : loadN(p2 + o, rest);
        const bet = bSplat ? bet0 : loadN(br + o, rest);
        storeN(yr + o, aconY(loadN(xr + o, rest), a, b, bet, hard), rest);
      }
    }
  }
}

// @ts-ignore: decorator
@inline function forwardGate(x: usize, p1: usize, p2: usize, beta: usize, y: usize,
  N: i32, S: i32, C: i32, Cp: i32, Nb: i32, Sb: i32, Cb: i32, hard: bool): void {
  if (Cp == 1) {
    if (Cb == 1) forwardAll(x, p1, p2, beta, y, N, S, C, Nb, Sb, Cb, true, true, hard);
    else forwardAll(x, p1, p2, beta, y, N, S, C, Nb, Sb, Cb, true, false, hard);
  } else {
    if (Cb == 1) forwardAll(x, p1, p2, beta, y, N, S, C, Nb, Sb, Cb, false, true, hard);
    else forwardAll(x, p1, p2, beta, y, N, S, C, Nb, Sb, Cb, false, false, hard);
  }
}


// ---------------------------------------------------------------- tiled fast paths
//
// For the common layouts (β constant over the spatial axis: Sb = 1; C % 4 = 0) the rows that share
// one β row run in tiles of T rows: each group of 4 channels loads its constants once per tile and
// runs down the tile's rows two at a time (two independent vectors per step), while the tile stays
// in L1. With m = g(−|z|) (the smaller gate value; σ(−|z|) = e/(1 + e), one division) and
// p_big = p1 where z ≥ 0, p2 where z < 0, q = p_big − p_small (= ±(p1 − p2)):
//   y = x·(p_big − q·m)
// exactly x·(p1·s + p2·t) in real arithmetic, equal to p_big·x once m = 0 (saturation), and its
// bracket bounded by max(|p1|, |p2|) as before. A pair of vectors whose z or dy is not finite (a
// NaN or infinite input, or a z that overflowed) takes the per-vector path above instead.

const SIGN_BIT: i32 = 0x80000000;

/**
 * Compile-time flags of the specialised loops: `On` or `Off` as a type argument, read with
 * `isOn<T>()`, so that each instantiation is compiled with its branches resolved (a plain bool
 * argument of an inlined function stays a runtime test inside the loop after binaryen merges the
 * instantiations).
 */
type On = u16;
type Off = u8;

/** The smaller gate value m = g(−|z|): σ(−|z|) = e/(1 + e), e = exp(−|z|); or h(−|z|) = max(1/2 − |z|/6, 0). */
// @ts-ignore: decorator
@inline function gateSmall<H>(z: v128): v128 {
  if (sizeof<H>() == 2) {
    return f32x4.pmax(f32x4.sub(f32x4.splat(0.5), f32x4.mul(f32x4.abs(z), f32x4.splat(<f32>(1.0 / 6.0)))), f32x4.splat(0));
  }
  // e/(1 + e) as (2^64·e)/(2^64 + 2^64·e): the same quotient, rounded once into the subnormals.
  const e = expNonPositiveScaled(v128.or(z, i32x4.splat(SIGN_BIT)));
  return f32x4.div(e, f32x4.add(f32x4.splat(TWO_P64), e));
}

/** p_big − q·v, with p_big = p1 (z ≥ 0) or p2 (z < 0) and q = p_big − p_small; axb = p1 ^ p2 bitwise, pd = p1 − p2. */
// @ts-ignore: decorator
@inline function bracket(z: v128, v: v128, a: v128, axb: v128, pd: v128): v128 {
  const big = v128.xor(a, v128.and(i32x4.shr_s(z, 31), axb));
  const q = v128.xor(pd, v128.and(z, i32x4.splat(SIGN_BIT)));
  return nmadd(q, v, big);
}

/** Whether some lane of u or v is not finite (NaN or ±∞; also when u + v overflows, which only costs the slow path). */
// @ts-ignore: decorator
@inline function notFinite2(u: v128, v: v128): bool {
  const sum = f32x4.add(u, v);
  const t = f32x4.sub(sum, sum);
  return v128.any_true(f32x4.ne(t, t));
}

// @ts-ignore: decorator
@inline function minI32(a: i32, b: i32): i32 {
  return a < b ? a : b;
}

/**
 * Rows per tile: about 1 KiB of x, 2 to 16 rows. Small tiles keep the memory access close to
 * sequential (a tile's channel groups visit its cache lines out of order, which the hardware
 * prefetchers follow poorly once x no longer fits in the caches: measured 2× slower with 2 KiB
 * tiles at [256,196,64]); the backward's tiles also bound how many float32 terms a float32 partial
 * sum holds (≤ 8 per lane and accumulator) before it goes into the float64 sums.
 */
// @ts-ignore: decorator
@inline function tileRows(C: i32): i32 {
  const r = 256 / C;
  return r < 2 ? 2 : r > 16 ? 16 : r;
}

/** One vector by the per-vector path (non-finite values); p1/p2/β vectors or splats at pa, pb, pbet. */
function forwardVectorSlow(px: usize, py: usize, pa: usize, pb: usize, pbet: usize, pSplat: bool, bSplat: bool, hard: bool): void {
  const a = pSplat ? splatF32(pa) : v128.load(pa);
  const b = pSplat ? splatF32(pb) : v128.load(pb);
  const bet = bSplat ? splatF32(pbet) : v128.load(pbet);
  v128.store(py, hard ? aconY(v128.load(px), a, b, bet, true) : aconY(v128.load(px), a, b, bet, false));
}

/** y = x·(p_big − q·m) over rows sharing a β row (all N·S rows when Nb = 1, each sample's S rows when Nb = N). */
// @ts-ignore: decorator
@inline function forwardTiled<P, B, H>(x: usize, p1: usize, p2: usize, beta: usize, y: usize,
  N: i32, S: i32, C: i32, Nb: i32, Cb: i32): void {
  const pSplat = sizeof<P>() == 2, bSplat = sizeof<B>() == 2, hard = sizeof<H>() == 2;
  const groups = Nb == 1 ? 1 : N;
  const rowsPer = Nb == 1 ? N * S : S;
  const rowBytes = <usize>C << 2;
  const T = tileRows(C);
  for (let g = 0; g < groups; g++) {
    const br = beta + ((<usize>g * <usize>Cb) << 2);
    for (let r0 = 0; r0 < rowsPer; r0 += T) {
      const rows = minI32(T, rowsPer - r0);
      const base = (<usize>g * <usize>rowsPer + <usize>r0) * rowBytes;
      for (let c = 0; c < C; c += 4) {
        const o = <usize>c << 2;
        const pa = pSplat ? p1 : p1 + o, pb = pSplat ? p2 : p2 + o, pbet = bSplat ? br : br + o;
        const a = pSplat ? splatF32(pa) : v128.load(pa);
        const b = pSplat ? splatF32(pb) : v128.load(pb);
        const bet = bSplat ? splatF32(pbet) : v128.load(pbet);
        const pd = f32x4.sub(a, b), axb = v128.xor(a, b);
        const kc = f32x4.mul(bet, pd);
        let px = x + base + o, py = y + base + o;
        let r = 0;
        for (; r + 2 <= rows; r += 2) {
          const x1 = v128.load(px), x2 = v128.load(px + rowBytes);
          const z1 = f32x4.mul(kc, x1), z2 = f32x4.mul(kc, x2);
          if (notFinite2(z1, z2)) {
            forwardVectorSlow(px, py, pa, pb, pbet, pSplat, bSplat, hard);
            forwardVectorSlow(px + rowBytes, py + rowBytes, pa, pb, pbet, pSplat, bSplat, hard);
          } else {
            v128.store(py, f32x4.mul(x1, bracket(z1, gateSmall<H>(z1), a, axb, pd)));
            v128.store(py + rowBytes, f32x4.mul(x2, bracket(z2, gateSmall<H>(z2), a, axb, pd)));
          }
          px += rowBytes << 1;
          py += rowBytes << 1;
        }
        if (r < rows) {
          const x1 = v128.load(px);
          const z1 = f32x4.mul(kc, x1);
          if (notFinite2(z1, z1)) forwardVectorSlow(px, py, pa, pb, pbet, pSplat, bSplat, hard);
          else v128.store(py, f32x4.mul(x1, bracket(z1, gateSmall<H>(z1), a, axb, pd)));
        }
      }
    }
  }
}

/** Whether the tiled paths apply: β constant over S, whole vectors, and rows sharing a β row in runs of ≥ 8. */
// @ts-ignore: decorator
@inline function tiledLayout(N: i32, S: i32, C: i32, Nb: i32, Sb: i32): bool {
  return Sb == 1 && (C & 3) == 0 && C > 0 && (Nb == 1 ? N * S >= 8 : S >= 8);
}

// @ts-ignore: decorator
@inline function forwardTiledGate<H>(x: usize, p1: usize, p2: usize, beta: usize, y: usize,
  N: i32, S: i32, C: i32, Cp: i32, Nb: i32, Cb: i32): void {
  if (Cp == 1) {
    if (Cb == 1) forwardTiled<On, On, H>(x, p1, p2, beta, y, N, S, C, Nb, Cb);
    else forwardTiled<On, Off, H>(x, p1, p2, beta, y, N, S, C, Nb, Cb);
  } else {
    if (Cb == 1) forwardTiled<Off, On, H>(x, p1, p2, beta, y, N, S, C, Nb, Cb);
    else forwardTiled<Off, Off, H>(x, p1, p2, beta, y, N, S, C, Nb, Cb);
  }
}

/**
 * y = ACON-C(x) for x [N,S,C], p1/p2 [Cp], β [Nb,Sb,Cb] (Cp ∈ {1,C}, Nb ∈ {1,N}, Sb ∈ {1,S}, Cb ∈ {1,C}).
 * Pointers are byte offsets of float32 arrays; y may not alias the inputs partially.
 * `hard` ≠ 0 selects the hard-sigmoid gate.
 */
export function aconCForward(x: usize, p1: usize, p2: usize, beta: usize, y: usize,
  N: i32, S: i32, C: i32, Cp: i32, Nb: i32, Sb: i32, Cb: i32, hard: i32): void {
  if (tiledLayout(N, S, C, Nb, Sb)) {
    if (hard) forwardTiledGate<On>(x, p1, p2, beta, y, N, S, C, Cp, Nb, Cb);
    else forwardTiledGate<Off>(x, p1, p2, beta, y, N, S, C, Cp, Nb, Cb);
  } else if (hard) forwardGate(x, p1, p2, beta, y, N, S, C, Cp, Nb, Sb, Cb, true);
  else forwardGate(x, p1, p2, beta, y, N, S, C, Cp, Nb, Sb, Cb, false);
}

// ================================================================ backward
//
// Scratch (float64, 16-byte aligned, size from aconCBackwardScratchBytes):
//   pd [P]    p1 − p2 in float64 (P = Cp rounded up to 4)
//   a1 [P]    Σ dy·x·k per channel
//   a2 [P]    Σ dy·x·k2 per channel
//   ab [B]    Σ dβ terms: one per β row when Cb = 1 (B = Nb·Sb); one per β entry, rows padded to
//             a multiple of 4, when Cb = C and β rows are revisited (β broadcast over N or S);
//             none when every β entry is visited once (written straight to dβ).

/** Whether some β row is used by more than one (n, s) row of x. */
// @ts-ignore: decorator
@inline function betaRowsRepeat(N: i32, S: i32, Nb: i32, Sb: i32): bool {
  return (Nb == 1 && N > 1) || (Sb == 1 && S > 1);
}

/** Number of float64 accumulators for dβ (see the scratch layout). */
// @ts-ignore: decorator
@inline function betaAccCount(N: i32, S: i32, C: i32, Nb: i32, Sb: i32, Cb: i32): usize {
  if (Cb == 1) return <usize>Nb * <usize>Sb;
  // With no rows at all dβ is still written (as zeros) from the accumulators.
  return betaRowsRepeat(N, S, Nb, Sb) || N * S == 0 ? <usize>Nb * <usize>Sb * round4(Cb) : 0;
}

/** Bytes of scratch that aconCBackward needs (16-byte aligned base). */
export function aconCBackwardScratchBytes(N: i32, S: i32, C: i32, Cp: i32, Nb: i32, Sb: i32, Cb: i32): usize {
  return (3 * round4(Cp) + betaAccCount(N, S, C, Nb, Sb, Cb)) << 3;
}

// @ts-ignore: decorator
@inline function zeroF64(p: usize, count: usize): void {
  for (let i: usize = 0; i < count; i++) store<f64>(p + (i << 3), 0);
}

/** f64x2 halves (lo, hi) → one f32x4. */
// @ts-ignore: decorator
@inline function demote2(lo: v128, hi: v128): v128 {
  return i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

// @ts-ignore: decorator
@inline function addTo(p: usize, v: v128): void {
  v128.store(p, f64x2.add(v128.load(p), v));
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/**
 * The whole backward pass for one combination of broadcast flags (constants after inlining):
 * pSplat: Cp = 1; bSplat: Cb = 1; bAcc: Cb = C and β rows repeat (dβ summed in scratch).
 * Each row of C channels runs in vectors of 4; the last vector of a row is partial when C % 4 ≠ 0,
 * its missing lanes load as x = dy = 0 and so add exact zeros to every sum.
 */
// @ts-ignore: decorator
@inline function backwardAll(x: usize, p1: usize, p2: usize, beta: usize, dy: usize,
  dx: usize, dbeta: usize, pd: usize, a1: usize, a2: usize, ab: usize,
  N: i32, S: i32, C: i32, Nb: i32, Sb: i32, Cb: i32, pSplat: bool, bSplat: bool, bAcc: bool, hard: bool): void {
  const a0 = splatF32(p1), b0 = splatF32(p2);
  const pd0 = f64x2.splat(<f64>load<f32>(p1) - <f64>load<f32>(p2));
  let s1 = f64x2.splat(0), s2 = f64x2.splat(0);
  const rowBytes = <usize>C << 2;
  const Cb4 = round4(Cb);
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < S; s++) {
      const row = <usize>(n * S + s) * rowBytes;
      const xr = x + row, gr = dy + row, dxr = dx + row;
      const bi = betaRow(n, s, Nb, Sb);
      const br = beta + ((bi * <usize>Cb) << 2);
      const dbr = dbeta + ((bi * <usize>Cb) << 2);
      const abr = ab + ((bi * Cb4) << 3);
      const bet0 = splatF32(br);
      let sb = f64x2.splat(0);
      for (let c = 0; c < C; c += 4) {
        const m = C - c;
        const o = <usize>c << 2, o8 = <usize>c << 3;
        const xv = loadN(xr + o, m), g = loadN(gr + o, m);
        const a = pSplat ? a0 : loadN(p1 + o, m);
        const b = pSplat ? b0 : loadN(p2 + o, m);
        const bet = bSplat ? bet0 : loadN(br + o, m);

        const zr = f32x4.mul(f32x4.mul(bet, f32x4.sub(a, b)), xv);
        const zOk = notNaN(zr);
        const z = v128.and(zr, zOk);
        let sg: v128, tg: v128, st: v128;
        if (hard) {
          sg = hardGate(z, true);
          tg = hardGate(z, false);
          st = hardSlope(z);
        } else {
          const e = expNegAbs(z);
          const onePlusE = f32x4.add(f32x4.splat(1), e);
          const r = f32x4.div(f32x4.splat(1), onePlusE), er = f32x4.div(e, onePlusE);
          sg = pick(z, er, r, true);
          tg = pick(z, er, r, false);
          st = f32x4.mul(sg, tg);
        }
        const zst = v128.andnot(f32x4.mul(z, st), f32x4.eq(st, f32x4.splat(0)));
        const k = f32x4.add(sg, zst), k2 = f32x4.sub(tg, zst);
        let dxv = f32x4.mul(g, f32x4.add(f32x4.mul(a, k), f32x4.mul(b, k2)));

        // Parameter-gradient terms in float64 (dy·x and d = (p1 − p2)·x are exact there).
        const gL = f64x2.promote_low_f32x4(g), gH = promoteHigh(g);
        const xL = f64x2.promote_low_f32x4(xv), xH = promoteHigh(xv);
        const gxL = f64x2.mul(gL, xL), gxH = f64x2.mul(gH, xH);
        let t1L = f64x2.mul(gxL, f64x2.promote_low_f32x4(k)), t1H = f64x2.mul(gxH, promoteHigh(k));
        let t2L = f64x2.mul(gxL, f64x2.promote_low_f32x4(k2)), t2H = f64x2.mul(gxH, promoteHigh(k2));
        const dL = f64x2.mul(pSplat ? pd0 : v128.load(pd + o8), xL);
        const dH = f64x2.mul(pSplat ? pd0 : v128.load(pd + o8 + 16), xH);
        let tbL = f64x2.mul(f64x2.mul(gL, f64x2.mul(dL, f64x2.promote_low_f32x4(st))), dL);
        let tbH = f64x2.mul(f64x2.mul(gH, f64x2.mul(dH, promoteHigh(st))), dH);
        if (!i32x4.all_true(v128.and(zOk, v128.and(finite(xv), finite(g))))) {
          const nan = v128.or(anyNaN4(xv, a, b, bet), f32x4.ne(g, g));
          const nanL = i64x2.extend_low_i32x4_s(nan), nanH = i64x2.extend_high_i32x4_s(nan);
          dxv = limitOrNaN(dxv, nan);
          t1L = limitOrNaN64(t1L, nanL); t1H = limitOrNaN64(t1H, nanH);
          t2L = limitOrNaN64(t2L, nanL); t2H = limitOrNaN64(t2H, nanH);
          tbL = limitOrNaN64(tbL, nanL); tbH = limitOrNaN64(tbH, nanH);
        }
        storeN(dxr + o, dxv, m);
        if (pSplat) {
          s1 = f64x2.add(s1, f64x2.add(t1L, t1H));
          s2 = f64x2.add(s2, f64x2.add(t2L, t2H));
        } else {
          addTo(a1 + o8, t1L); addTo(a1 + o8 + 16, t1H);
          addTo(a2 + o8, t2L); addTo(a2 + o8 + 16, t2H);
        }
        if (bSplat) sb = f64x2.add(sb, f64x2.add(tbL, tbH));
        else if (bAcc) { addTo(abr + o8, tbL); addTo(abr + o8 + 16, tbH); }
        else storeN(dbr + o, demote2(tbL, tbH), m);
      }
      if (bSplat) store<f64>(ab + (bi << 3), load<f64>(ab + (bi << 3)) + hsum(sb));
    }
  }
  if (pSplat) {
    store<f64>(a1, hsum(s1));
    store<f64>(a2, hsum(s2));
  }
}

// @ts-ignore: decorator
@inline function backwardGate(x: usize, p1: usize, p2: usize, beta: usize, dy: usize,
  dx: usize, dbeta: usize, pd: usize, a1: usize, a2: usize, ab: usize,
  N: i32, S: i32, C: i32, Cp: i32, Nb: i32, Sb: i32, Cb: i32, bSplat: bool, bAcc: bool, hard: bool): void {
  if (Cp == 1) {
    if (bSplat) backwardAll(x, p1, p2, beta, dy, dx, dbeta, pd, a1, a2, ab, N, S, C, Nb, Sb, Cb, true, true, false, hard);
    else if (bAcc) backwardAll(x, p1, p2, beta, dy, dx, dbeta, pd, a1, a2, ab, N, S, C, Nb, Sb, Cb, true, false, true, hard);
    else backwardAll(x, p1, p2, beta, dy, dx, dbeta, pd, a1, a2, ab, N, S, C, Nb, Sb, Cb, true, false, false, hard);
  } else {
    if (bSplat) backwardAll(x, p1, p2, beta, dy, dx, dbeta, pd, a1, a2, ab, N, S, C, Nb, Sb, Cb, false, true, false, hard);
    else if (bAcc) backwardAll(x, p1, p2, beta, dy, dx, dbeta, pd, a1, a2, ab, N, S, C, Nb, Sb, Cb, false, false, true, hard);
    else backwardAll(x, p1, p2, beta, dy, dx, dbeta, pd, a1, a2, ab, N, S, C, Nb, Sb, Cb, false, false, false, hard);
  }
}


// ---------------------------------------------------------------- backward, tiled
//
// With m, p_big, q as in the forward, g′ the gate's slope and kS = m − |z|·g′ (the smaller of
// k = s + z·g′ and k2 = t − z·g′; the other is 1 − kS):
//   dx = dy·(p_big − q·kS)
//   tS = dy·x·kS, tB = dy·x − tS (the terms of dp1 and dp2, by the sign of z), tβ = dy·x·x·g′
// summed per lane in float32 over a tile (at most 16 rows), then added in float64 to the
// per-channel sums; dβ = (p1 − p2)²·Σ tβ with (p1 − p2)² in float64. A tile whose float32 sums are
// not finite (a term that overflowed float32) is summed again in float64 by the per-vector path.

/**
 * One vector by the per-vector path: float64 terms, NaN and 0·∞ rules. Adds the terms to the
 * float64 sums at s1/s2 (per lane, or all lanes into s1[0], s2[0] when pSplat) and sb (per lane
 * when !bSplat, else into sb[0]).
 */
function backwardVectorSlow(px: usize, pg: usize, pdx: usize, pa: usize, pb: usize, pbet: usize, ppd: usize,
  s1: usize, s2: usize, sb: usize, pSplat: bool, bSplat: bool, hard: bool): void {
  const xv = v128.load(px), g = v128.load(pg);
  const a = pSplat ? splatF32(pa) : v128.load(pa);
  const b = pSplat ? splatF32(pb) : v128.load(pb);
  const bet = bSplat ? splatF32(pbet) : v128.load(pbet);
  const zr = f32x4.mul(f32x4.mul(bet, f32x4.sub(a, b)), xv);
  const zOk = notNaN(zr);
  const z = v128.and(zr, zOk);
  let sg: v128, tg: v128, st: v128;
  if (hard) {
    sg = hardGate(z, true);
    tg = hardGate(z, false);
    st = hardSlope(z);
  } else {
    const e = expNegAbs(z);
    const onePlusE = f32x4.add(f32x4.splat(1), e);
    const r = f32x4.div(f32x4.splat(1), onePlusE), er = f32x4.div(e, onePlusE);
    sg = pick(z, er, r, true);
    tg = pick(z, er, r, false);
    st = f32x4.mul(sg, tg);
  }
  const zst = v128.andnot(f32x4.mul(z, st), f32x4.eq(st, f32x4.splat(0)));
  const k = f32x4.add(sg, zst), k2 = f32x4.sub(tg, zst);
  const nan = v128.or(anyNaN4(xv, a, b, bet), f32x4.ne(g, g));
  const nanL = i64x2.extend_low_i32x4_s(nan), nanH = i64x2.extend_high_i32x4_s(nan);
  v128.store(pdx, limitOrNaN(f32x4.mul(g, f32x4.add(f32x4.mul(a, k), f32x4.mul(b, k2))), nan));
  const gL = f64x2.promote_low_f32x4(g), gH = promoteHigh(g);
  const xL = f64x2.promote_low_f32x4(xv), xH = promoteHigh(xv);
  const gxL = f64x2.mul(gL, xL), gxH = f64x2.mul(gH, xH);
  const t1L = limitOrNaN64(f64x2.mul(gxL, f64x2.promote_low_f32x4(k)), nanL);
  const t1H = limitOrNaN64(f64x2.mul(gxH, promoteHigh(k)), nanH);
  const t2L = limitOrNaN64(f64x2.mul(gxL, f64x2.promote_low_f32x4(k2)), nanL);
  const t2H = limitOrNaN64(f64x2.mul(gxH, promoteHigh(k2)), nanH);
  const pdL = pSplat ? f64x2.splat(load<f64>(ppd)) : v128.load(ppd), pdH = pSplat ? pdL : v128.load(ppd + 16);
  const dL = f64x2.mul(pdL, xL), dH = f64x2.mul(pdH, xH);
  const tbL = limitOrNaN64(f64x2.mul(f64x2.mul(gL, f64x2.mul(dL, f64x2.promote_low_f32x4(st))), dL), nanL);
  const tbH = limitOrNaN64(f64x2.mul(f64x2.mul(gH, f64x2.mul(dH, promoteHigh(st))), dH), nanH);
  if (pSplat) {
    store<f64>(s1, load<f64>(s1) + hsum(f64x2.add(t1L, t1H)));
    store<f64>(s2, load<f64>(s2) + hsum(f64x2.add(t2L, t2H)));
  } else {
    addTo(s1, t1L); addTo(s1 + 16, t1H);
    addTo(s2, t2L); addTo(s2 + 16, t2H);
  }
  if (bSplat) store<f64>(sb, load<f64>(sb) + hsum(f64x2.add(tbL, tbH)));
  else { addTo(sb, tbL); addTo(sb + 16, tbH); }
}

/** The slope g′(z) of the gate: m·(1 − m) for σ, 1/6 on |z| < 3 (else 0) for the hard sigmoid. */
// @ts-ignore: decorator
@inline function gateSlope<H>(az: v128, m: v128): v128 {
  if (sizeof<H>() == 2) return v128.and(f32x4.splat(<f32>(1.0 / 6.0)), f32x4.lt(az, f32x4.splat(3)));
  return f32x4.mul(m, f32x4.sub(f32x4.splat(1), m));
}

/** Adds the 4 float32 lanes of v to the float64 sums at p (per lane), or all into p[0] (`one`). */
// @ts-ignore: decorator
@inline function addLanes(p: usize, v: v128, one: bool): void {
  const lo = f64x2.promote_low_f32x4(v), hi = promoteHigh(v);
  if (one) store<f64>(p, load<f64>(p) + hsum(f64x2.add(lo, hi)));
  else { addTo(p, lo); addTo(p + 16, hi); }
}

/**
 * The backward over rows sharing a β row, in tiles (see above). dp1/dp2 sums per channel in
 * a1/a2 (or a1[0], a2[0] when pSplat); dβ sums in ab: one per β row when bSplat, else one per β
 * entry (rows padded to a multiple of 4).
 */
// @ts-ignore: decorator
@inline function backwardTiled<P, B, H>(x: usize, p1: usize, p2: usize, beta: usize, dy: usize, dx: usize,
  pd64: usize, a1: usize, a2: usize, ab: usize, N: i32, S: i32, C: i32, Nb: i32, Cb: i32): void {
  const pSplat = sizeof<P>() == 2, bSplat = sizeof<B>() == 2, hard = sizeof<H>() == 2;
  const groups = Nb == 1 ? 1 : N;
  const rowsPer = Nb == 1 ? N * S : S;
  const rowBytes = <usize>C << 2;
  const Cb4 = round4(Cb);
  const T = tileRows(C);
  for (let grp = 0; grp < groups; grp++) {
    const br = beta + ((<usize>grp * <usize>Cb) << 2);
    const abr = ab + (bSplat ? <usize>grp << 3 : (<usize>grp * Cb4) << 3);
    for (let r0 = 0; r0 < rowsPer; r0 += T) {
      const rows = minI32(T, rowsPer - r0);
      const base = (<usize>grp * <usize>rowsPer + <usize>r0) * rowBytes;
      for (let c = 0; c < C; c += 4) {
        const o = <usize>c << 2, o8 = <usize>c << 3;
        const pa = pSplat ? p1 : p1 + o, pb = pSplat ? p2 : p2 + o, pbet = bSplat ? br : br + o;
        const ppd = pSplat ? pd64 : pd64 + o8;
        const s1 = pSplat ? a1 : a1 + o8, s2 = pSplat ? a2 : a2 + o8, sb = bSplat ? abr : abr + o8;
        const a = pSplat ? splatF32(pa) : v128.load(pa);
        const b = pSplat ? splatF32(pb) : v128.load(pb);
        const bet = bSplat ? splatF32(pbet) : v128.load(pbet);
        const pd = f32x4.sub(a, b), axb = v128.xor(a, b);
        const kc = f32x4.mul(bet, pd);
        let acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), accb = f32x4.splat(0);
        let off = base + o;
        for (let r = 0; r < rows; r += 2) {
          // A last single row runs as a pair with itself (its results are written twice, summed once).
          const off2 = r + 1 < rows ? off + rowBytes : off;
          const x1 = v128.load(x + off), x2 = v128.load(x + off2);
          const g1 = v128.load(dy + off), g2 = v128.load(dy + off2);
          const z1 = f32x4.mul(kc, x1), z2 = f32x4.mul(kc, x2);
          if (notFinite2(f32x4.add(z1, g1), f32x4.add(z2, g2))) {
            backwardVectorSlow(x + off, dy + off, dx + off, pa, pb, pbet, ppd, s1, s2, sb, pSplat, bSplat, hard);
            if (off2 != off) backwardVectorSlow(x + off2, dy + off2, dx + off2, pa, pb, pbet, ppd, s1, s2, sb, pSplat, bSplat, hard);
          } else {
            const az1 = f32x4.abs(z1), az2 = f32x4.abs(z2);
            const m1 = gateSmall<H>(z1), m2 = gateSmall<H>(z2);
            const gs1 = gateSlope<H>(az1, m1), gs2 = gateSlope<H>(az2, m2);
            const k1 = nmadd(az1, gs1, m1), k2 = nmadd(az2, gs2, m2);
            v128.store(dx + off, f32x4.mul(g1, bracket(z1, k1, a, axb, pd)));
            v128.store(dx + off2, f32x4.mul(g2, bracket(z2, k2, a, axb, pd)));
            const gx1 = f32x4.mul(g1, x1);
            let gx2 = f32x4.mul(g2, x2);
            if (off2 == off) gx2 = f32x4.splat(0);
            const tS1 = f32x4.mul(gx1, k1), tS2 = f32x4.mul(gx2, k2);
            const tB1 = f32x4.sub(gx1, tS1), tB2 = f32x4.sub(gx2, tS2);
            const u1 = v128.and(v128.xor(tS1, tB1), i32x4.shr_s(z1, 31));
            const u2 = v128.and(v128.xor(tS2, tB2), i32x4.shr_s(z2, 31));
            acc1 = f32x4.add(acc1, f32x4.add(v128.xor(tB1, u1), v128.xor(tB2, u2)));
            acc2 = f32x4.add(acc2, f32x4.add(v128.xor(tS1, u1), v128.xor(tS2, u2)));
            accb = f32x4.add(accb, madd(f32x4.mul(gx1, x1), gs1, f32x4.mul(f32x4.mul(gx2, x2), gs2)));
          }
          off += rowBytes << 1;
        }
        if (notFinite2(f32x4.add(acc1, acc2), accb)) {
          // A float32 sum overflowed: this tile's vectors that took the float32 path go again in float64.
          off = base + o;
          for (let r = 0; r < rows; r += 2) {
            const off2 = r + 1 < rows ? off + rowBytes : off;
            const z1 = f32x4.mul(kc, v128.load(x + off)), z2 = f32x4.mul(kc, v128.load(x + off2));
            if (!notFinite2(f32x4.add(z1, v128.load(dy + off)), f32x4.add(z2, v128.load(dy + off2)))) {
              backwardVectorSlow(x + off, dy + off, dx + off, pa, pb, pbet, ppd, s1, s2, sb, pSplat, bSplat, hard);
              if (off2 != off) backwardVectorSlow(x + off2, dy + off2, dx + off2, pa, pb, pbet, ppd, s1, s2, sb, pSplat, bSplat, hard);
            }
            off += rowBytes << 1;
          }
        } else {
          addLanes(s1, acc1, pSplat);
          addLanes(s2, acc2, pSplat);
          const pdL = pSplat ? f64x2.splat(load<f64>(ppd)) : v128.load(ppd), pdH = pSplat ? pdL : v128.load(ppd + 16);
          const tbL = f64x2.mul(f64x2.mul(pdL, pdL), f64x2.promote_low_f32x4(accb));
          const tbH = f64x2.mul(f64x2.mul(pdH, pdH), promoteHigh(accb));
          if (bSplat) store<f64>(sb, load<f64>(sb) + hsum(f64x2.add(tbL, tbH)));
          else { addTo(sb, tbL); addTo(sb + 16, tbH); }
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function backwardTiledGate<H>(x: usize, p1: usize, p2: usize, beta: usize, dy: usize, dx: usize,
  pd: usize, a1: usize, a2: usize, ab: usize, N: i32, S: i32, C: i32, Cp: i32, Nb: i32, Cb: i32): void {
  if (Cp == 1) {
    if (Cb == 1) backwardTiled<On, On, H>(x, p1, p2, beta, dy, dx, pd, a1, a2, ab, N, S, C, Nb, Cb);
    else backwardTiled<On, Off, H>(x, p1, p2, beta, dy, dx, pd, a1, a2, ab, N, S, C, Nb, Cb);
  } else {
    if (Cb == 1) backwardTiled<Off, On, H>(x, p1, p2, beta, dy, dx, pd, a1, a2, ab, N, S, C, Nb, Cb);
    else backwardTiled<Off, Off, H>(x, p1, p2, beta, dy, dx, pd, a1, a2, ab, N, S, C, Nb, Cb);
  }
}

/**
 * Gradients of ACON-C: dx [N,S,C], dp1/dp2 [Cp] and dβ [Nb,Sb,Cb] (same layout as the inputs),
 * parameter gradients summed over their broadcast axes. `scratch` points to
 * aconCBackwardScratchBytes(...) bytes, 16-byte aligned, that the call may overwrite. `hard` ≠ 0
 * selects the hard-sigmoid gate. dx must not alias x or dy (a tile whose float32 sums overflow is
 * read again). A call may cover any whole rows of x (pointers offset by rows, N·S rows given; with
 * β per sample, whole samples) and writes its own dp1, dp2, dβ.
 */
export function aconCBackward(x: usize, p1: usize, p2: usize, beta: usize, dy: usize,
  dx: usize, dp1: usize, dp2: usize, dbeta: usize, scratch: usize,
  N: i32, S: i32, C: i32, Cp: i32, Nb: i32, Sb: i32, Cb: i32, hard: i32): void {
  const P = round4(Cp);
  const pd = scratch, a1 = pd + (P << 3), a2 = a1 + (P << 3), ab = a2 + (P << 3);
  const nb = betaAccCount(N, S, C, Nb, Sb, Cb);
  for (let c: usize = 0; c < P; c++) {
    store<f64>(pd + (c << 3), c < <usize>Cp ? <f64>load<f32>(p1 + (c << 2)) - <f64>load<f32>(p2 + (c << 2)) : 0);
  }
  zeroF64(a1, 2 * P + nb);

  const bSplat = Cb == 1;
  const bAcc = !bSplat && nb > 0;
  // The tiled path always sums dβ in scratch (its β rows repeat: ≥ 8 rows share each).
  if (tiledLayout(N, S, C, Nb, Sb)) {
    if (hard) backwardTiledGate<On>(x, p1, p2, beta, dy, dx, pd, a1, a2, ab, N, S, C, Cp, Nb, Cb);
    else backwardTiledGate<Off>(x, p1, p2, beta, dy, dx, pd, a1, a2, ab, N, S, C, Cp, Nb, Cb);
  } else if (hard) backwardGate(x, p1, p2, beta, dy, dx, dbeta, pd, a1, a2, ab, N, S, C, Cp, Nb, Sb, Cb, bSplat, bAcc, true);
  else backwardGate(x, p1, p2, beta, dy, dx, dbeta, pd, a1, a2, ab, N, S, C, Cp, Nb, Sb, Cb, bSplat, bAcc, false);

  // Round the float64 sums to the float32 outputs.
  for (let c: usize = 0; c < <usize>Cp; c++) {
    store<f32>(dp1 + (c << 2), <f32>load<f64>(a1 + (c << 3)));
    store<f32>(dp2 + (c << 2), <f32>load<f64>(a2 + (c << 3)));
  }
  if (bSplat) {
    for (let i: usize = 0; i < nb; i++) store<f32>(dbeta + (i << 2), <f32>load<f64>(ab + (i << 3)));
  } else if (bAcc) {
    const rows = <usize>Nb * <usize>Sb, Cb4 = round4(Cb);
    for (let r: usize = 0; r < rows; r++) {
      for (let c: usize = 0; c < <usize>Cb; c++) {
        store<f32>(dbeta + ((r * <usize>Cb + c) << 2), <f32>load<f64>(ab + ((r * Cb4 + c) << 3)));
      }
    }
  }
}
