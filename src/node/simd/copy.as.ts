// Strided copies of byte rows on the host heap (pointers are byte offsets), for concatenating,
// splitting and slicing along an axis.

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
