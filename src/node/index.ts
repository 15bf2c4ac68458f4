/**
 * The Node-only layer: backend choice, training kernels (registered on import), multi-core
 * training, model files.
 */
import './register.js';

export {
  initNodeBackend,
  resolveBackendName,
  NODE_BACKENDS,
  BACKEND_ENV,
  type NodeBackendName,
  type NodeBackendOptions,
  type BackendSource,
} from './backend.js';
export { registerTrainingKernels, unregisterTrainingKernels } from './kernels/index.js';
export { setKernelThreads, getKernelThreads, KERNEL_THREADS_ENV } from './threads/kernel_threads.js';
export { closeKernelThreads } from './threads/split_pool.js';
export { RELAXED_SIMD_ENV } from './relaxed_simd.js';
export { relaxedSimd } from '../wasm/kernel_module.js';
export { DataParallelTrainer, WorkerError } from './parallel/index.js';
export type {
  DataParallelTrainerOptions,
  StepOptions,
  ModelFactorySpec,
  Json,
  LossSpec,
  SoftmaxCrossEntropySpec,
  SgdSpec,
} from './parallel/index.js';
export { saveModel, loadModel } from './model_files.js';
