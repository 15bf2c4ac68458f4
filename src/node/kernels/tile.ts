/**
 * `Tile` as block copies: place x once in the output, then, axis by axis from the last, replicate
 * each filled span `reps` times by doubling `copyWithin`. Works on byte views, so any numeric dtype.
 */

/** Fills `out` (the tiled shape, `bytes` per element) from `x` (shape `shape`). */
export function tileBytes(x: Uint8Array, out: Uint8Array, shape: number[], reps: number[], bytes: number): void {
  const rank = shape.length;
  if (out.length === 0) return;
  if (rank === 0) {
    out.set(x.subarray(0, bytes));
    return;
  }
  // Output strides in bytes.
  const stride = new Array<number>(rank);
  stride[rank - 1] = bytes;
  for (let a = rank - 2; a >= 0; a--) stride[a] = stride[a + 1] * shape[a + 1] * reps[a + 1];
  // Place x: its trailing axes up to the last tiled one are contiguous in both layouts.
  let k = rank - 1;
  while (k >= 0 && reps[k] === 1) k--;
  const block = k < 0 ? x.length : shape[k] * stride[k];
  forEachPrefix(shape, k, stride, (offset, i) => out.set(x.subarray(i * block, (i + 1) * block), offset));
  // Replicate along each tiled axis, innermost first.
  for (let a = rank - 1; a >= 0; a--) {
    if (reps[a] === 1) continue;
    const span = shape[a] * stride[a],
      total = span * reps[a];
    forEachPrefix(shape, a, stride, (offset) => {
      for (let filled = span; filled < total; filled *= 2) {
        out.copyWithin(offset + filled, offset, offset + Math.min(filled, total - filled));
      }
    });
  }
}

/** Calls fn(offset, i) for every index i (row-major) over axes [0, end) of `shape`, with its output byte offset. */
function forEachPrefix(shape: number[], end: number, stride: number[], fn: (offset: number, i: number) => void): void {
  const idx = new Array<number>(Math.max(0, end)).fill(0);
  let count = 1;
  for (let a = 0; a < end; a++) count *= shape[a];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    fn(offset, i);
    for (let a = end - 1; a >= 0; a--) {
      offset += stride[a];
      if (++idx[a] < shape[a]) break;
      offset -= idx[a] * stride[a];
      idx[a] = 0;
    }
  }
}
