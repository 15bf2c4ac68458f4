// Sums over one run of contiguous axes of float32 data on the host heap (pointers are byte
// offsets): x viewed as [outer, run, inner] gives out[outer, inner]. Partial sums are taken over
// blocks of BLOCK summed elements and then added up, which keeps float32 rounding error small.

const BLOCK = 256;

/** out[o, i] = scale · Σ_r x[o, r, i]. `tmp` is scratch for `inner` floats. */
export function sumAxis(x: usize, out: usize, tmp: usize, outer: i32, run: i32, inner: i32, scale: f32): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) store<f32>(out + (<usize>o << 2), sumContiguous(x + ((<usize>o * run) << 2), run) * scale);
    return;
  }
  const rowBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const dst = out + <usize>o * rowBytes;
    memory.fill(dst, 0, rowBytes);
    let src = x + <usize>o * run * rowBytes;
    for (let r0 = 0; r0 < run; r0 += BLOCK) {
      const r1 = min(run, r0 + BLOCK);
      memory.copy(tmp, src, rowBytes);
      src += rowBytes;
      for (let r = r0 + 1; r < r1; r++) {
        addInto(tmp, src, inner);
        src += rowBytes;
      }
      addInto(dst, tmp, inner);
    }
    if (scale != 1) scaleInPlace(dst, inner, scale);
  }
}

function sumContiguous(p: usize, n: i32): f32 {
  let total: f32 = 0;
  for (let i0 = 0; i0 < n; i0 += BLOCK * 4) {
    const i1 = min(n, i0 + BLOCK * 4), i4 = i0 + ((i1 - i0) & ~3);
    let acc = f32x4.splat(0);
    let i = i0;
    for (; i < i4; i += 4) acc = f32x4.add(acc, v128.load(p + (<usize>i << 2)));
    let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
    for (; i < i1; i++) s += load<f32>(p + (<usize>i << 2));
    total += s;
  }
  return total;
}

// @ts-ignore: decorator
@inline function addInto(acc: usize, src: usize, n: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(acc + o, f32x4.add(v128.load(acc + o), v128.load(src + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(acc + o, load<f32>(acc + o) + load<f32>(src + o));
  }
}

function scaleInPlace(p: usize, n: i32, scale: f32): void {
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), load<f32>(p + (<usize>i << 2)) * scale);
}
