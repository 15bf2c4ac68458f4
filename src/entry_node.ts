/**
 * `acon/node`: what needs Node. Importing it registers the training kernels for the `wasm` and
 * `cpu` backends (so `tf.setBackend('wasm')` then `model.fit` trains conv nets); `initNodeBackend()`
 * chooses a backend and logs the choice. Then multi-core training, model files, and the
 * Fashion-MNIST experiment: its data, model builders, training run, results and report.
 */
export * from './node/index.js';
export * as data from './data/index.js';
export * as models from './models/index.js';
export * as experiment from './node/experiment.js';
export { readSafetensorsFile, readSafetensorsFileHeader } from './interop/safetensors_file.js';
