/**
 * Training kernels for TensorFlow.js in Node, for the `wasm` and `cpu` backends: convolution and
 * depthwise-convolution gradients (missing on wasm, pathologically slow on cpu) as im2col + SIMD
 * GEMM, and faster reductions, broadcasting arithmetic, batch norm and data movement, which
 * dominate training steps of batch-normalized nets. Import the backends before registering: a
 * backend module loaded later registers its stock kernels over these.
 */
import { engine, getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { batchNormKernels } from './batch_norm_kernels.js';
import { convKernels } from './conv_kernels.js';
import { dataKernels } from './data_kernels.js';
import { mathKernels } from './math_kernels.js';
import { rememberStock, stockKernel } from './stock.js';

/** Every kernel config registered here, one per kernel and backend. */
export const trainingKernels: readonly KernelConfig[] = [...convKernels, ...mathKernels, ...batchNormKernels, ...dataKernels];

/** Registers the training kernels, replacing stock ones. Idempotent. */
export function registerTrainingKernels(): void {
  for (const k of trainingKernels) {
    const current = getKernel(k.kernelName, k.backendName);
    if (current === k) continue;
    if (current) {
      rememberStock(current);
      unregisterKernel(k.kernelName, k.backendName);
    }
    registerKernel(k);
  }
}

/** Restores the stock kernels (or none, where the backend had none). */
export function unregisterTrainingKernels(): void {
  for (const k of trainingKernels) {
    if (getKernel(k.kernelName, k.backendName) !== k) continue;
    unregisterKernel(k.kernelName, k.backendName);
    const stock = stockKernel(k.kernelName, k.backendName);
    if (!stock) continue;
    registerKernel(stock);
    // A backend initialized while ours was registered never ran the stock kernel's setup.
    const backend = engine().registry[k.backendName];
    if (backend && stock.setupFunc) stock.setupFunc(backend);
  }
}
