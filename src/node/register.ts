/**
 * Importing this module makes the `wasm` and `cpu` backends train in Node, as a tfjs backend
 * registers its kernels on import: it loads whichever of `@tensorflow/tfjs-backend-wasm` and
 * `@tensorflow/tfjs-backend-cpu` are installed (both are optional peers), then registers the
 * training kernels over their stock ones. The wasm backend then initialises on a shared heap and
 * the ACON kernels split large calls over kernel threads (`threads/`); the kernels take their
 * relaxed-SIMD (fused multiply-add) builds unless `ACON_RELAXED_SIMD=0` (`relaxed_simd.ts`).
 * Choosing a backend stays with `tf.setBackend` or `initNodeBackend()`.
 */
import { loadBackendPackages } from './backend.js';
import { registerTrainingKernels } from './kernels/index.js';
import { enableRelaxedSimd } from './relaxed_simd.js';
import { installAconKernelThreads } from './threads/acon_split.js';
import { shareWasmBackendHeap } from './threads/shared_heap.js';

enableRelaxedSimd();
await loadBackendPackages();
shareWasmBackendHeap();
registerTrainingKernels();
installAconKernelThreads();
