/**
 * A 2-D convolution (NHWC, filter [KH, KW, C, CO]) and its gradients as im2col/col2im around the
 * SIMD GEMMs, on a `Heap`. With R = KH·KW·C, P = N·OH·OW and col = im2col(x) [P×R]:
 *   forward          y[P×CO]  = col · W[R×CO]
 *   filter gradient  dW[R×CO] = colᵀ · dy[P×CO]
 *   input gradient   dx       = col2im(dy · Wᵀ)
 * A 1×1 convolution with stride 1 and no padding needs neither: col = x and dx = dy · Wᵀ.
 * Otherwise the batch is taken in chunks whose col fits COL_FLOATS, which bounds the scratch.
 */
import { geometryArgs, type ConvGeometry } from './geometry.js';
import { f32, simd, withScratch, type Heap } from './heap.js';

/** Scratch budget for col: 1 MB, about a core's L2, so each chunk's col is still cached when the GEMM reads it. */
const COL_FLOATS = 1 << 18;

const isPointwise = (g: ConvGeometry) => g.KH === 1 && g.KW === 1 && g.sh === 1 && g.sw === 1 && g.pt === 0 && g.pl === 0;

/**
 * Calls fn for consecutive chunks of images with a col scratch of `R` columns, the chunk's
 * geometry and the byte offsets of its first input and output images.
 */
function inChunks(
  heap: Heap,
  g: ConvGeometry,
  R: number,
  fn: (col: number, c: ConvGeometry, xOffset: number, yOffset: number) => void,
): void {
  const rowsPerImage = g.OH * g.OW;
  const images = Math.max(1, Math.min(g.N, Math.floor(COL_FLOATS / Math.max(1, rowsPerImage * R))));
  withScratch(heap, images * rowsPerImage * R, (col) => {
    for (let n = 0; n < g.N; n += images) {
      const c = { ...g, N: Math.min(images, g.N - n) };
      fn(col, c, n * g.H * g.W * g.C * 4, n * rowsPerImage * g.CO * 4);
    }
  });
}

export function conv2dForward(heap: Heap, x: number, w: number, y: number, g: ConvGeometry): void {
  const R = g.KH * g.KW * g.C,
    k = simd(heap);
  if (isPointwise(g)) {
    gemm(heap, x, w, y, g.N * g.OH * g.OW, R, g.CO);
    return;
  }
  inChunks(heap, g, R, (col, c, xOffset, yOffset) => {
    k.im2col(x + xOffset, col, ...geometryArgs(c));
    gemm(heap, col, w, y + yOffset, c.N * c.OH * c.OW, R, g.CO);
  });
}

export function conv2dFilterGrad(heap: Heap, x: number, dy: number, dW: number, g: ConvGeometry): void {
  const R = g.KH * g.KW * g.C,
    k = simd(heap);
  f32(heap, dW, R * g.CO).fill(0);
  if (isPointwise(g)) {
    k.gemmTN(x, dy, dW, R, g.N * g.OH * g.OW, g.CO);
    return;
  }
  inChunks(heap, g, R, (col, c, xOffset, dyOffset) => {
    k.im2col(x + xOffset, col, ...geometryArgs(c));
    k.gemmTN(col, dy + dyOffset, dW, R, c.N * c.OH * c.OW, g.CO);
  });
}

export function conv2dInputGrad(heap: Heap, dy: number, w: number, dx: number, g: ConvGeometry): void {
  const R = g.KH * g.KW * g.C,
    k = simd(heap);
  withScratch(heap, g.CO * R, (wT) => {
    transpose(heap, w, wT, R, g.CO);
    if (isPointwise(g)) {
      gemm(heap, dy, wT, dx, g.N * g.OH * g.OW, g.CO, R);
      return;
    }
    inChunks(heap, g, R, (dcol, c, dxOffset, dyOffset) => {
      gemm(heap, dy + dyOffset, wT, dcol, c.N * c.OH * c.OW, g.CO, R);
      k.col2im(dcol, dx + dxOffset, ...geometryArgs(c));
    });
  });
}

/** out[M×N] = a[M×K] · b[K×N] by the SIMD GEMM, with its packing scratch. */
function gemm(heap: Heap, a: number, b: number, out: number, M: number, K: number, N: number): void {
  const k = simd(heap);
  withScratch(heap, k.gemmPackFloats(), (pack) => k.gemm(a, b, out, M, K, N, pack));
}

/** dst[cols×rows] = src[rows×cols]ᵀ, for small matrices such as filters. */
function transpose(heap: Heap, src: number, dst: number, rows: number, cols: number): void {
  const s = f32(heap, src, rows * cols),
    d = f32(heap, dst, rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) d[c * rows + r] = s[r * cols + c];
  }
}
