// Patch gathering and scattering for 2-D convolutions on NHWC float32 data, in place on the
// host heap (pointers are byte offsets). Geometry names follow tfjs `Conv2DInfo`: input
// N×H×W×C, filter KH×KW, output OH×OW, strides sh/sw, top/left padding pt/pl.

/**
 * im2col: `col[p, r] = x[n, oh*sh + kh - pt, ow*sw + kw - pl, c]` (0 outside the input) with
 * row p = (n*OH + oh)*OW + ow and column r = (kh*KW + kw)*C + c, so that `colᵀ × dy` is the
 * filter gradient; each (p, kh, kw) is one contiguous run of C values.
 */
export function im2col(x: usize, col: usize, N: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32,
  OH: i32, OW: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  const runBytes = <usize>C << 2, windowBytes = runBytes * KW;
  let dst = col;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = ow * sw - pl;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * sh + kh - pt;
          if (ih < 0 || ih >= H) {
            memory.fill(dst, 0, windowBytes);
          } else if (iw0 >= 0 && iw0 + KW <= W) {
            // The window row x[n, ih, iw0 .. iw0+KW, :] is one contiguous run.
            copyRun(dst, x + ((((n * H + ih) * W + iw0) * C) << 2), windowBytes);
          } else {
            for (let kw = 0; kw < KW; kw++) {
              const iw = iw0 + kw, d = dst + <usize>kw * runBytes;
              if (iw < 0 || iw >= W) memory.fill(d, 0, runBytes);
              else copyRun(d, x + ((((n * H + ih) * W + iw) * C) << 2), runBytes);
            }
          }
          dst += windowBytes;
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function copyRun(dst: usize, src: usize, bytes: usize): void {
  const n16 = bytes & ~15;
  let i: usize = 0;
  for (; i < n16; i += 16) v128.store(dst + i, v128.load(src + i));
  for (; i < bytes; i += 4) store<f32>(dst + i, load<f32>(src + i));
}

/**
 * col2im, the adjoint of im2col: zeroes `dx` and adds `col[p, r]` into the input element it was
 * gathered from, so that `col2im(dy × filterᵀ)` is the input gradient.
 */
export function col2im(col: usize, dx: usize, N: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32,
  OH: i32, OW: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  memory.fill(dx, 0, (N * H * W * C) << 2);
  const runBytes = <usize>C << 2, windowBytes = runBytes * KW;
  let src = col;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = ow * sw - pl;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * sh + kh - pt;
          if (ih >= 0 && ih < H) {
            if (iw0 >= 0 && iw0 + KW <= W) {
              addRun(dx + ((((n * H + ih) * W + iw0) * C) << 2), src, windowBytes);
            } else {
              for (let kw = 0; kw < KW; kw++) {
                const iw = iw0 + kw;
                if (iw >= 0 && iw < W) addRun(dx + ((((n * H + ih) * W + iw) * C) << 2), src + <usize>kw * runBytes, runBytes);
              }
            }
          }
          src += windowBytes;
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function addRun(dst: usize, src: usize, bytes: usize): void {
  const n16 = bytes & ~15;
  let i: usize = 0;
  for (; i < n16; i += 16) v128.store(dst + i, f32x4.add(v128.load(dst + i), v128.load(src + i)));
  for (; i < bytes; i += 4) store<f32>(dst + i, load<f32>(dst + i) + load<f32>(src + i));
}
