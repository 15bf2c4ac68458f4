/**
 * Registers the fused ACON kernels (cpu, wasm, webgl, webgpu) and their gradient with tfjs-core. Idempotent; run
 * on import of the package. Backends without a kernel use the generic path (`generic.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { aconCCpuKernels } from './cpu.js';
import { aconCGradConfig } from './gradient.js';
import { ACON_C } from './kernel_names.js';
import { registerAconCWasmKernels } from './wasm.js';
import { registerAconCWebGLKernels } from './webgl.js';
import { registerAconCWebGPUKernels } from './webgpu.js';

let registered = false;

export function registerAconKernels(): void {
  if (registered) return;
  registered = true;
  for (const k of aconCCpuKernels) if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
  registerAconCWasmKernels();
  registerAconCWebGLKernels();
  registerAconCWebGPUKernels();
  if (!tf.getGradient(ACON_C)) tf.registerGradient(aconCGradConfig);
}
