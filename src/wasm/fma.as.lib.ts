// Multiply-adds of the kernel sources. A source that imports them is compiled with and without
// relaxed SIMD (scripts/build-wasm.mjs): without, they are a multiply and an add (two roundings);
// with, f32x4.relaxed_madd, one fused multiply-add on CPUs that have FMA (x86-64 with FMA3, arm64).

/** a·b + c, lane-wise. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** c − a·b, lane-wise. */
// @ts-ignore: decorator
@inline export function nmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}
