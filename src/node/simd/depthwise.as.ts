// Depthwise-convolution gradients on NHWC float32 data with channel multiplier 1, in place on the
// host heap (pointers are byte offsets; geometry as in im2col.as.ts, C channels in and out), and
// the channel expansion/reduction that maps multiplier m > 1 onto them.

/**
 * dW[kh, kw, c] = Σ over n, oh, ow of x[n, oh*sh + kh - pt, ow*sw + kw - pl, c] · dy[n, oh, ow, c].
 * For each output row and filter tap the sum over ow runs in registers (four partial sums of
 * alternate columns), then is added to dW.
 */
export function depthwiseFilterGrad(x: usize, dy: usize, dW: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, OH: i32, OW: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  memory.fill(dW, 0, (KH * KW * C) << 2);
  const pixel = <usize>C << 2, xStep = <usize>sw * pixel, C4 = C & ~3;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const dyRow = dy + <usize>((n * OH + oh) * OW) * pixel;
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * sh + kh - pt;
        if (ih < 0 || ih >= H) continue;
        const xRow = x + <usize>((n * H + ih) * W) * pixel;
        for (let kw = 0; kw < KW; kw++) {
          // Columns ow with 0 <= ow*sw + kw - pl < W.
          const ow0 = kw >= pl ? 0 : (pl - kw + sw - 1) / sw;
          const ow1 = min(OW, (W - 1 + pl - kw) / sw + 1);
          if (ow0 >= ow1) continue;
          const count = ow1 - ow0;
          const tap = dW + (<usize>(kh * KW + kw) * pixel);
          const px0 = xRow + <usize>(ow0 * sw + kw - pl) * pixel, pd0 = dyRow + <usize>ow0 * pixel;
          let c = 0;
          for (; c < C4; c += 4) {
            const o = <usize>c << 2;
            let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
            let px = px0 + o, pd = pd0 + o, k = 0;
            for (; k + 3 < count; k += 4) {
              a0 = f32x4.add(a0, f32x4.mul(v128.load(px), v128.load(pd)));
              a1 = f32x4.add(a1, f32x4.mul(v128.load(px + xStep), v128.load(pd + pixel)));
              a2 = f32x4.add(a2, f32x4.mul(v128.load(px + 2 * xStep), v128.load(pd + 2 * pixel)));
              a3 = f32x4.add(a3, f32x4.mul(v128.load(px + 3 * xStep), v128.load(pd + 3 * pixel)));
              px += 4 * xStep;
              pd += 4 * pixel;
            }
            for (; k < count; k++) {
              a0 = f32x4.add(a0, f32x4.mul(v128.load(px), v128.load(pd)));
              px += xStep;
              pd += pixel;
            }
            v128.store(tap + o, f32x4.add(v128.load(tap + o), f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3))));
          }
          for (; c < C; c++) {
            const o = <usize>c << 2;
            let acc: f32 = 0;
            for (let k = 0; k < count; k++) acc += load<f32>(px0 + <usize>k * xStep + o) * load<f32>(pd0 + <usize>k * pixel + o);
            store<f32>(tap + o, load<f32>(tap + o) + acc);
          }
        }
      }
    }
  }
}

/**
 * dx[n, ih, iw, c] = Σ over the outputs whose window holds (ih, iw) of dy[n, oh, ow, c] · w[kh, kw, c],
 * added output row by output row and tap by tap, with the tap's weights held in a register.
 */
export function depthwiseInputGrad(dy: usize, w: usize, dx: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, OH: i32, OW: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  memory.fill(dx, 0, (N * H * W * C) << 2);
  const pixel = <usize>C << 2, xStep = <usize>sw * pixel, C4 = C & ~3;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const dyRow = dy + <usize>((n * OH + oh) * OW) * pixel;
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * sh + kh - pt;
        if (ih < 0 || ih >= H) continue;
        const dxRow = dx + <usize>((n * H + ih) * W) * pixel;
        for (let kw = 0; kw < KW; kw++) {
          const ow0 = kw >= pl ? 0 : (pl - kw + sw - 1) / sw;
          const ow1 = min(OW, (W - 1 + pl - kw) / sw + 1);
          if (ow0 >= ow1) continue;
          const count = ow1 - ow0;
          const tap = w + (<usize>(kh * KW + kw) * pixel);
          const pdx0 = dxRow + <usize>(ow0 * sw + kw - pl) * pixel, pd0 = dyRow + <usize>ow0 * pixel;
          let c = 0;
          for (; c < C4; c += 4) {
            const o = <usize>c << 2;
            const wv = v128.load(tap + o);
            let pdx = pdx0 + o, pd = pd0 + o;
            for (let k = 0; k < count; k++) {
              v128.store(pdx, f32x4.add(v128.load(pdx), f32x4.mul(v128.load(pd), wv)));
              pdx += xStep;
              pd += pixel;
            }
          }
          for (; c < C; c++) {
            const o = <usize>c << 2;
            const wc = load<f32>(tap + o);
            for (let k = 0; k < count; k++) {
              const q = pdx0 + <usize>k * xStep + o;
              store<f32>(q, load<f32>(q) + load<f32>(pd0 + <usize>k * pixel + o) * wc);
            }
          }
        }
      }
    }
  }
}

/** out[r, c*m + j] = x[r, c] for `rows` rows of C channels. */
export function expandChannels(x: usize, out: usize, rows: i32, C: i32, m: i32): void {
  const total = rows * C;
  for (let i = 0; i < total; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    const o = out + ((<usize>i * m) << 2);
    for (let j = 0; j < m; j++) store<f32>(o + (<usize>j << 2), v);
  }
}

/** out[r, c] = Σ_j x[r, c*m + j] for `rows` rows of C channel groups. */
export function sumChannelGroups(x: usize, out: usize, rows: i32, C: i32, m: i32): void {
  const total = rows * C;
  for (let i = 0; i < total; i++) {
    const p = x + ((<usize>i * m) << 2);
    let s: f32 = 0;
    for (let j = 0; j < m; j++) s += load<f32>(p + (<usize>j << 2));
    store<f32>(out + (<usize>i << 2), s);
  }
}

/** acc[c] += a[c] · b[c] for c < C. */
// @ts-ignore: decorator
@inline function mulAdd(acc: usize, a: usize, b: usize, C: i32): void {
  const C4 = C & ~3;
  let c = 0;
  for (; c < C4; c += 4) {
    const o = <usize>c << 2;
    v128.store(acc + o, f32x4.add(v128.load(acc + o), f32x4.mul(v128.load(a + o), v128.load(b + o))));
  }
  for (; c < C; c++) {
    const o = <usize>c << 2;
    store<f32>(acc + o, load<f32>(acc + o) + load<f32>(a + o) * load<f32>(b + o));
  }
}
