// Depthwise-convolution gradients on NHWC float32 data with channel multiplier 1, in place on the
// host heap (pointers are byte offsets; geometry as in im2col.as.ts, C channels in and out), and
// the channel expansion/reduction that maps multiplier m > 1 onto them.

/** dW[kh, kw, c] = Σ over n, oh, ow of x[n, oh*sh + kh - pt, ow*sw + kw - pl, c] · dy[n, oh, ow, c]. */
export function depthwiseFilterGrad(x: usize, dy: usize, dW: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, OH: i32, OW: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  memory.fill(dW, 0, (KH * KW * C) << 2);
  let pdy = dy;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * sh + kh - pt;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * sw + kw - pl;
            if (iw < 0 || iw >= W) continue;
            mulAdd(dW + (((kh * KW + kw) * C) << 2), x + ((((n * H + ih) * W + iw) * C) << 2), pdy, C);
          }
        }
        pdy += <usize>C << 2;
      }
    }
  }
}

/** dx[n, ih, iw, c] = Σ over the outputs whose window holds (ih, iw) of dy[n, oh, ow, c] · w[kh, kw, c]. */
export function depthwiseInputGrad(dy: usize, w: usize, dx: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, OH: i32, OW: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  memory.fill(dx, 0, (N * H * W * C) << 2);
  let pdy = dy;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * sh + kh - pt;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * sw + kw - pl;
            if (iw < 0 || iw >= W) continue;
            mulAdd(dx + ((((n * H + ih) * W + iw) * C) << 2), pdy, w + (((kh * KW + kw) * C) << 2), C);
          }
        }
        pdy += <usize>C << 2;
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
