/**
 * Registers the fused ACON kernels (cpu, wasm, webgl, webgpu) and their gradient with tfjs-core. Idempotent; run
 * on import of the package. Backends without a kernel use the generic path (`generic.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { aconCCpuKernels } from './cpu.js';
import { aconCGradConfig } from './gradient.js';
import { ACON_C } from './kernel_names.js';
import { registerAconCWasmKernels } from './wasm.js';
import { aconCWebGLKernels } from './webgl.js';
import { aconCWebGPUKernels } from './webgpu.js';

let registered = false;

export function registerAconKernels(): void {
  if (registered) return;
  registered = true;
  for (const k of [...aconCCpuKernels, ...aconCWebGLKernels, ...aconCWebGPUKernels])
    if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
  registerAconCWasmKernels();
  if (!tf.getGradient(ACON_C)) tf.registerGradient(aconCGradConfig);
}
