// Data movement on the host heap (pointers are byte offsets): strided copies of byte rows, for
// concatenating, splitting and slicing along an axis, and the (de)interleaving of channel pairs.

/** Copies `rows` rows of `rowBytes` bytes from src (row stride srcStride) to dst (row stride dstStride). */
export function copyRows(src: usize, dst: usize, rows: i32, rowBytes: i32, srcStride: i32, dstStride: i32): void {
  const n16 = rowBytes & ~15;
  for (let r = 0; r < rows; r++) {
    const s = src + <usize>r * srcStride,
      d = dst + <usize>r * dstStride;
    let i = 0;
    for (; i < n16; i += 16) v128.store(d + i, v128.load(s + i));
    for (; i < rowBytes; i++) store<u8>(d + i, load<u8>(s + i));
  }
}

/** even[i] = x[2i], odd[i] = x[2i + 1] for i < pairs (4-byte elements). */
export function deinterleave(x: usize, even: usize, odd: usize, pairs: i32): void {
  const n4 = pairs & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const p = <usize>i << 2;
    const lo = v128.load(x + (p << 1)), hi = v128.load(x + (p << 1), 16);
    v128.store(even + p, i32x4.shuffle(lo, hi, 0, 2, 4, 6));
    v128.store(odd + p, i32x4.shuffle(lo, hi, 1, 3, 5, 7));
  }
  for (; i < pairs; i++) {
    const p = <usize>i << 2;
    store<u32>(even + p, load<u32>(x + (p << 1)));
    store<u32>(odd + p, load<u32>(x + (p << 1) + 4));
  }
}

/** x[2i] = even[i], x[2i + 1] = odd[i] for i < pairs (4-byte elements): the inverse of `deinterleave`. */
export function interleave(even: usize, odd: usize, x: usize, pairs: i32): void {
  const n4 = pairs & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const p = <usize>i << 2;
    const e = v128.load(even + p), o = v128.load(odd + p);
    v128.store(x + (p << 1), i32x4.shuffle(e, o, 0, 4, 1, 5));
    v128.store(x + (p << 1), i32x4.shuffle(e, o, 2, 6, 3, 7), 16);
  }
  for (; i < pairs; i++) {
    const p = <usize>i << 2;
    store<u32>(x + (p << 1), load<u32>(even + p));
    store<u32>(x + (p << 1) + 4, load<u32>(odd + p));
  }
}
