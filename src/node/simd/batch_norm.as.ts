// Batch-normalization forward on float32 data on the host heap (pointers are byte offsets), with
// per-channel parameters over the innermost axis of C channels.

/** out[r, c] = (x[r, c] - mean[c]) · a[c] + offset[c], where a = scale / sqrt(variance + ε). */
export function batchNorm(x: usize, mean: usize, a: usize, offset: usize, out: usize, rows: i32, C: i32): void {
  const C4 = C & ~3,
    rowBytes = (<usize>C) << 2;
  for (let r = 0; r < rows; r++) {
    const px = x + <usize>r * rowBytes,
      po = out + <usize>r * rowBytes;
    let c = 0;
    for (; c < C4; c += 4) {
      const o = (<usize>c) << 2;
      const v = f32x4.mul(f32x4.sub(v128.load(px + o), v128.load(mean + o)), v128.load(a + o));
      v128.store(po + o, f32x4.add(v, v128.load(offset + o)));
    }
    for (; c < C; c++) {
      const o = (<usize>c) << 2;
      store<f32>(po + o, (load<f32>(px + o) - load<f32>(mean + o)) * load<f32>(a + o) + load<f32>(offset + o));
    }
  }
}
