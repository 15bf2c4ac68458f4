/**
 * `acon/node`: what needs Node — backend choice, training kernels and multi-core training, model
 * files, the Fashion-MNIST data layer, the trainer, and the HTML report.
 */
export * from './node/index.js';
export * as data from './data/index.js';
export { trainRun, evaluate, type RunSettings, type RunOptions, type ImageSplit, type StepProgress } from './train/trainer.js';
export { parseResults, type ResultsFile, type RunRecord, type EpochRecord, type ActivationLayerRecord } from './train/results.js';
export { renderReport, writeReport } from './report/index.js';
export { readSafetensorsFile, readSafetensorsFileHeader } from './interop/safetensors_file.js';
