/** Reads the PyTorch golden vectors in place from ../shared/golden/ and converts NCHW → NHWC. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GOLDEN_PATH = process.env.ACON_GOLDEN ?? resolve(root, '..', 'shared', 'golden', 'golden.json');

export function loadGolden(): GoldenCase[] | undefined {
  if (!existsSync(GOLDEN_PATH)) {
    console.error(`\n!!!!! GOLDEN VECTORS NOT FOUND at ${GOLDEN_PATH}: the PyTorch comparison tests are SKIPPED !!!!!\n`);
    return undefined;
  }
  return JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')).cases as GoldenCase[];
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
