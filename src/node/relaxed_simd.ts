/**
 * Fused multiply-adds for the kernels in Node: relaxed SIMD (`f32x4.relaxed_madd`) ships in V8
 * 11.4+ (Node 22+) and sits behind `--experimental-wasm-relaxed-simd` in Node 20's V8 11.3, so
 * `acon/node` sets that flag on import (V8 flags are per process: worker threads see it too).
 * `ACON_RELAXED_SIMD=0` keeps every kernel on its plain-SIMD build.
 */
import v8 from 'node:v8';
import { allowRelaxedSimd, relaxedSimd } from '../wasm/kernel_module.js';

/** The environment variable that turns the relaxed-SIMD builds off (`0`) or on (anything else; the default). */
export const RELAXED_SIMD_ENV = 'ACON_RELAXED_SIMD';

/** Lets the kernels take their relaxed-SIMD builds where V8 can run them, unless `ACON_RELAXED_SIMD=0`. */
export function enableRelaxedSimd(env: NodeJS.ProcessEnv = process.env): boolean {
  const allowed = env[RELAXED_SIMD_ENV] !== '0';
  allowRelaxedSimd(allowed);
  if (allowed && !relaxedSimd()) {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    allowRelaxedSimd(true); // asks the engine again
  }
  return relaxedSimd();
}
