/** The Node-only layer: backend selection, training kernels, multi-core training, model files. */
export {
  initNodeBackend,
  resolveBackendName,
  NODE_BACKENDS,
  BACKEND_ENV,
  type NodeBackendName,
  type NodeBackendOptions,
  type BackendSource,
} from './backend.js';
export * from './parallel/index.js';
export { registerTrainingKernels } from './kernels/index.js';
export { saveModel, loadModel } from './model_files.js';
