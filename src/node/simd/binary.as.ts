// Elementwise float32 arithmetic with one operand broadcast over a middle run of axes, on the
// host heap (pointers are byte offsets): the full operand a is viewed as [outer, mid, inner] and
// the broadcast operand v as [outer, inner]. Ops: 0 add, 1 subtract, 2 multiply, 3 divide.

/** out[o, m, i] = a[o, m, i] op v[o, i], or v[o, i] op a[o, m, i] when `vFirst`. */
export function binary(op: i32, a: usize, v: usize, out: usize, outer: i32, mid: i32, inner: i32, vFirst: bool): void {
  if (inner === 1) {
    const mid4 = mid & ~3;
    for (let o = 0; o < outer; o++) {
      const s = v128.load32_splat(v + (<usize>o << 2));
      const base = <usize>o * mid << 2;
      let m = 0;
      for (; m < mid4; m += 4) {
        const p = base + (<usize>m << 2);
        v128.store(out + p, apply4(op, v128.load(a + p), s, vFirst));
      }
      for (; m < mid; m++) {
        const p = base + (<usize>m << 2);
        store<f32>(out + p, apply1(op, load<f32>(a + p), f32x4.extract_lane(s, 0), vFirst));
      }
    }
    return;
  }
  const inner4 = inner & ~3, rowBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const pv = v + <usize>o * rowBytes;
    for (let m = 0; m < mid; m++) {
      const base = (<usize>o * mid + m) * rowBytes;
      let i = 0;
      for (; i < inner4; i += 4) {
        const q = <usize>i << 2;
        v128.store(out + base + q, apply4(op, v128.load(a + base + q), v128.load(pv + q), vFirst));
      }
      for (; i < inner; i++) {
        const q = <usize>i << 2;
        store<f32>(out + base + q, apply1(op, load<f32>(a + base + q), load<f32>(pv + q), vFirst));
      }
    }
  }
}

// @ts-ignore: decorator
@inline function apply4(op: i32, a: v128, v: v128, vFirst: bool): v128 {
  const x = vFirst ? v : a, y = vFirst ? a : v;
  switch (op) {
    case 0: return f32x4.add(x, y);
    case 1: return f32x4.sub(x, y);
    case 2: return f32x4.mul(x, y);
    default: return f32x4.div(x, y);
  }
}

// @ts-ignore: decorator
@inline function apply1(op: i32, a: f32, v: f32, vFirst: bool): f32 {
  const x = vFirst ? v : a, y = vFirst ? a : v;
  switch (op) {
    case 0: return x + y;
    case 1: return x - y;
    case 2: return x * y;
    default: return x / y;
  }
}
