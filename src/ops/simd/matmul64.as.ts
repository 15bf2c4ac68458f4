// Float64 matrix products for the fused Meta-ACON generator (src/layers/matmul64.ts), on the
// module's memory (pointers are byte offsets). Each output is init + Σ_k a[m,k]·b[k,p] summed in
// ascending k with a multiply and an add per term (two roundings, no fused multiply-add), so the
// result is the same bit for bit as the plain loop; the SIMD lanes run along p.

/** out[m,p] = (init ? init[p] : 0) + Σ_k a[m,k]·b[k,p] for a [M,K], b [K,P], out [M,P]. */
export function matmul64(a: usize, b: usize, out: usize, M: i32, K: i32, P: i32, init: usize): void {
  const rowA = <usize>K << 3,
    rowB = <usize>P << 3;
  const P4 = P & ~3;
  let m = 0;
  for (; m + 2 <= M; m += 2) {
    const a0 = a + <usize>m * rowA,
      a1 = a0 + rowA,
      o0 = out + <usize>m * rowB,
      o1 = o0 + rowB;
    let p = 0;
    for (; p < P4; p += 4) {
      const q = <usize>p << 3;
      let s0 = start(init, q),
        s1 = start(init, q + 16);
      let t0 = s0,
        t1 = s1;
      let pb = b + q;
      for (let k = 0; k < K; k++) {
        const ko = <usize>k << 3;
        const v = f64x2.splat(load<f64>(a0 + ko)),
          w = f64x2.splat(load<f64>(a1 + ko));
        const c0 = v128.load(pb),
          c1 = v128.load(pb, 16);
        s0 = f64x2.add(s0, f64x2.mul(v, c0));
        s1 = f64x2.add(s1, f64x2.mul(v, c1));
        t0 = f64x2.add(t0, f64x2.mul(w, c0));
        t1 = f64x2.add(t1, f64x2.mul(w, c1));
        pb += rowB;
      }
      v128.store(o0 + q, s0);
      v128.store(o0 + q, s1, 16);
      v128.store(o1 + q, t0);
      v128.store(o1 + q, t1, 16);
    }
    for (; p < P; p++) {
      const q = <usize>p << 3;
      let s = init ? load<f64>(init + q) : 0,
        t = s;
      for (let k = 0; k < K; k++) {
        const c = load<f64>(b + <usize>k * rowB + q);
        s += load<f64>(a0 + (<usize>k << 3)) * c;
        t += load<f64>(a1 + (<usize>k << 3)) * c;
      }
      store<f64>(o0 + q, s);
      store<f64>(o1 + q, t);
    }
  }
  for (; m < M; m++) {
    const a0 = a + <usize>m * rowA,
      o0 = out + <usize>m * rowB;
    for (let p = 0; p < P; p++) {
      const q = <usize>p << 3;
      let s = init ? load<f64>(init + q) : 0;
      for (let k = 0; k < K; k++) s += load<f64>(a0 + (<usize>k << 3)) * load<f64>(b + <usize>k * rowB + q);
      store<f64>(o0 + q, s);
    }
  }
}

// @ts-ignore: decorator
@inline function start(init: usize, q: usize): v128 {
  return init ? v128.load(init + q) : f64x2.splat(0);
}
