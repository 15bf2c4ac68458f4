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

// Training batch norm over rows × C (channels innermost), for TorchBatchNorm's synchronised path.
// The per-channel sums are taken as reduce.as.ts `sumAxis` takes them (blocks of BLOCK rows summed
// in float32 in `tmp`, each block then added to the result), and every elementwise value is
// rounded as the composition of tfjs ops it replaces, so the results are bit-identical to it.

const BLOCK = 256;

/** tmp[c] (+)= (x[c] − mean[c])², set when `first`. */
// @ts-ignore: decorator
@inline function accumulateSquares(tmp: usize, x: usize, mean: usize, C: i32, first: bool): void {
  const C4 = C & ~3;
  let c = 0;
  for (; c < C4; c += 4) {
    const o = (<usize>c) << 2;
    const d = f32x4.sub(v128.load(x + o), v128.load(mean + o));
    const s = f32x4.mul(d, d);
    v128.store(tmp + o, first ? s : f32x4.add(v128.load(tmp + o), s));
  }
  for (; c < C; c++) {
    const o = (<usize>c) << 2;
    const d = load<f32>(x + o) - load<f32>(mean + o);
    store<f32>(tmp + o, first ? d * d : load<f32>(tmp + o) + d * d);
  }
}

/** acc[c] += v[c]. */
// @ts-ignore: decorator
@inline function addRow(acc: usize, v: usize, C: i32): void {
  const C4 = C & ~3;
  let c = 0;
  for (; c < C4; c += 4) {
    const o = (<usize>c) << 2;
    v128.store(acc + o, f32x4.add(v128.load(acc + o), v128.load(v + o)));
  }
  for (; c < C; c++) {
    const o = (<usize>c) << 2;
    store<f32>(acc + o, load<f32>(acc + o) + load<f32>(v + o));
  }
}

/** out[c] = Σ_r (x[r, c] − mean[c])². `tmp` is scratch for C floats. */
export function centeredSquareSums(x: usize, mean: usize, out: usize, tmp: usize, rows: i32, C: i32): void {
  const rowBytes = (<usize>C) << 2;
  memory.fill(out, 0, rowBytes);
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = min(rows, r0 + BLOCK);
    for (let r = r0; r < r1; r++) accumulateSquares(tmp, x + <usize>r * rowBytes, mean, C, r == r0);
    addRow(out, tmp, C);
  }
}

/**
 * y[r, c] = ((x[r, c] − mean[c]) ∘ s[c]) · gamma[c] + beta[c], ∘ = · (s = invStd) or / (s = std),
 * rounded as those four float32 operations.
 */
// @ts-ignore: decorator
@inline function normalizeRows(x: usize, mean: usize, s: usize, gamma: usize, beta: usize, y: usize, rows: i32, C: i32, divide: bool): void {
  const C4 = C & ~3,
    rowBytes = (<usize>C) << 2;
  for (let r = 0; r < rows; r++) {
    const px = x + <usize>r * rowBytes,
      py = y + <usize>r * rowBytes;
    let c = 0;
    for (; c < C4; c += 4) {
      const o = (<usize>c) << 2;
      const d = f32x4.sub(v128.load(px + o), v128.load(mean + o));
      const xhat = divide ? f32x4.div(d, v128.load(s + o)) : f32x4.mul(d, v128.load(s + o));
      v128.store(py + o, f32x4.add(f32x4.mul(xhat, v128.load(gamma + o)), v128.load(beta + o)));
    }
    for (; c < C; c++) {
      const o = (<usize>c) << 2;
      const d = load<f32>(px + o) - load<f32>(mean + o);
      const xhat = divide ? d / load<f32>(s + o) : d * load<f32>(s + o);
      store<f32>(py + o, xhat * load<f32>(gamma + o) + load<f32>(beta + o));
    }
  }
}

/** y[r, c] = ((x[r, c] − mean[c]) · invStd[c]) · gamma[c] + beta[c]. */
export function batchNormTrainForward(x: usize, mean: usize, invStd: usize, gamma: usize, beta: usize, y: usize, rows: i32, C: i32): void {
  normalizeRows(x, mean, invStd, gamma, beta, y, rows, C, false);
}

/** y[r, c] = ((x[r, c] − mean[c]) / std[c]) · gamma[c] + beta[c] (inference, with std = √(running var + ε)). */
export function batchNormInference(x: usize, mean: usize, std: usize, gamma: usize, beta: usize, y: usize, rows: i32, C: i32): void {
  normalizeRows(x, mean, std, gamma, beta, y, rows, C, true);
}

/**
 * out[c] = Σ_r dy[r, c] and out[C + c] = Σ_r dy[r, c] · x̂[r, c], x̂ = (x − mean) · invStd.
 * `tmp` is scratch for 2·C floats.
 */
export function batchNormGradSums(dy: usize, x: usize, mean: usize, invStd: usize, out: usize, tmp: usize, rows: i32, C: i32): void {
  const rowBytes = (<usize>C) << 2, C4 = C & ~3;
  const tmp2 = tmp + rowBytes, out2 = out + rowBytes;
  memory.fill(out, 0, 2 * rowBytes);
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = min(rows, r0 + BLOCK);
    for (let r = r0; r < r1; r++) {
      const first = r == r0;
      const pdy = dy + <usize>r * rowBytes, px = x + <usize>r * rowBytes;
      let c = 0;
      for (; c < C4; c += 4) {
        const o = (<usize>c) << 2;
        const g = v128.load(pdy + o);
        const xhat = f32x4.mul(f32x4.sub(v128.load(px + o), v128.load(mean + o)), v128.load(invStd + o));
        const gx = f32x4.mul(g, xhat);
        v128.store(tmp + o, first ? g : f32x4.add(v128.load(tmp + o), g));
        v128.store(tmp2 + o, first ? gx : f32x4.add(v128.load(tmp2 + o), gx));
      }
      for (; c < C; c++) {
        const o = (<usize>c) << 2;
        const g = load<f32>(pdy + o);
        const gx = g * ((load<f32>(px + o) - load<f32>(mean + o)) * load<f32>(invStd + o));
        store<f32>(tmp + o, first ? g : load<f32>(tmp + o) + g);
        store<f32>(tmp2 + o, first ? gx : load<f32>(tmp2 + o) + gx);
      }
    }
    addRow(out, tmp, C);
    addRow(out2, tmp2, C);
  }
}

/** dx[r, c] = ((dy[r, c] · a[c]) − c0[c]) − x̂[r, c] · c1[c], x̂ = (x − mean) · invStd. */
export function batchNormGradInput(dy: usize, x: usize, mean: usize, invStd: usize, a: usize, c0: usize, c1: usize, dx: usize,
  rows: i32, C: i32): void {
  const C4 = C & ~3,
    rowBytes = (<usize>C) << 2;
  for (let r = 0; r < rows; r++) {
    const pdy = dy + <usize>r * rowBytes, px = x + <usize>r * rowBytes, pdx = dx + <usize>r * rowBytes;
    let c = 0;
    for (; c < C4; c += 4) {
      const o = (<usize>c) << 2;
      const xhat = f32x4.mul(f32x4.sub(v128.load(px + o), v128.load(mean + o)), v128.load(invStd + o));
      const t = f32x4.sub(f32x4.mul(v128.load(pdy + o), v128.load(a + o)), v128.load(c0 + o));
      v128.store(pdx + o, f32x4.sub(t, f32x4.mul(xhat, v128.load(c1 + o))));
    }
    for (; c < C; c++) {
      const o = (<usize>c) << 2;
      const xhat = (load<f32>(px + o) - load<f32>(mean + o)) * load<f32>(invStd + o);
      store<f32>(pdx + o, (load<f32>(pdy + o) * load<f32>(a + o) - load<f32>(c0 + o)) - xhat * load<f32>(c1 + o));
    }
  }
}
