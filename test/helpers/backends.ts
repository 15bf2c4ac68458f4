/** The backends every kernel test runs on, and switching between them. */
import v8 from 'node:v8';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { allowRelaxedSimd, relaxedSimd } from '../../src/wasm/kernel_module.js';

export const BACKENDS = ['cpu', 'wasm'] as const;
export type BackendName = (typeof BACKENDS)[number];

/**
 * The backends with each build of the wasm kernels: `wasm:simd` (a multiply and an add) and
 * `wasm:relaxed-simd` (fused multiply-adds; V8's flag turned on as acon/node does).
 */
export const KERNEL_BACKENDS = ['cpu', 'wasm:simd', 'wasm:relaxed-simd'] as const;

/** Selects a backend of BACKENDS or KERNEL_BACKENDS; a wasm build is checked to be the one that runs. */
export async function useBackend(name: string): Promise<void> {
  const [backend, build] = name.split(':');
  if (build === 'relaxed-simd') {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    allowRelaxedSimd(true);
    if (!relaxedSimd()) throw new Error('this engine has no relaxed SIMD');
  } else if (build === 'simd') allowRelaxedSimd(false);
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to initialise`);
  await tf.ready();
}
