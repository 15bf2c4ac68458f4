/** The PyTorch golden cases (../shared/golden/golden.json) and NCHW → NHWC, free of `node:` imports (the browser tests use it). */
import type { PlainTensor } from '../../src/interop/state_dict.js';

export interface GoldenCase {
  name: string;
  module: 'AconA' | 'AconB' | 'AconC' | 'MetaAconC';
  init_args: { width: number; r?: number };
  mode: 'train' | 'eval';
  dtype: 'float64' | 'float32';
  x: PlainTensor;
  g: PlainTensor;
  y: PlainTensor;
  params: Record<string, PlainTensor>;
  buffers?: Record<string, PlainTensor | number>;
  buffers_after?: Record<string, PlainTensor | number>;
  grads: Record<string, PlainTensor>;
  bn_config?: Record<string, { eps: number; momentum: number }>;
}

/** NCHW `[N,C,H,W]` → NHWC `[N,H,W,C]` (other ranks unchanged). */
export function toNhwc(t: PlainTensor): { shape: number[]; data: Float32Array } {
  if (t.shape.length !== 4) return { shape: t.shape, data: Float32Array.from(t.data) };
  const [N, C, H, W] = t.shape;
  const out = new Float32Array(N * H * W * C);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++) {
          out[((n * H + h) * W + w) * C + c] = t.data[((n * C + c) * H + h) * W + w];
        }
  return { shape: [N, H, W, C], data: out };
}
