/**
 * The tfjs backend of the page: the first of webgpu → webgl → wasm → cpu that initialises (or the
 * one asked for with `?backend=`). The wasm binaries are files Vite copies into the build.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { ops } from 'acon';

export const BACKEND_ORDER = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

export interface BackendChoice {
  name: string;
  /** How the ACON op runs there: a fused kernel or the generic customGrad path. */
  aconPath: 'fused' | 'generic';
  /** Backends tried before it that failed, with why. */
  skipped: string[];
}

let chosen: Promise<BackendChoice> | undefined;

async function tryBackend(name: string): Promise<string | null> {
  try {
    if (name === 'wasm') await ops.initAconWasm();
    if (!(await tf.setBackend(name))) return 'did not initialise';
    await tf.ready();
    // A tiny op proves that the backend runs, not only that it registered.
    tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync());
    return null;
  } catch (e) {
    return (e as Error).message || String(e);
  }
}

/** Chooses the backend once per page; `requested` (a name) is tried alone. */
export function chooseBackend(requested?: string): Promise<BackendChoice> {
  chosen ??= (async () => {
    const order = requested ? [requested] : [...BACKEND_ORDER];
    const skipped: string[] = [];
    for (const name of order) {
      const problem = await tryBackend(name);
      if (problem === null) return { name, aconPath: ops.aconCPath(), skipped };
      skipped.push(`${name}: ${problem}`);
    }
    throw new Error(`no tfjs backend works here (${skipped.join('; ')})`);
  })();
  return chosen;
}
