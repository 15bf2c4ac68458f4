/**
 * Importing this module makes the `wasm` and `cpu` backends train in Node, as a tfjs backend
 * registers its kernels on import: it loads whichever of `@tensorflow/tfjs-backend-wasm` and
 * `@tensorflow/tfjs-backend-cpu` are installed (both are optional peers), then registers the
 * training kernels over their stock ones. Choosing a backend stays with `tf.setBackend` or
 * `initNodeBackend()`.
 */
import { loadBackendPackages } from './backend.js';
import { registerTrainingKernels } from './kernels/index.js';

await loadBackendPackages();
registerTrainingKernels();
