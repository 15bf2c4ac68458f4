/**
 * The experiment of `acon compare`, for scripts: one training run after the official recipe
 * (`trainRun`, `evaluate`), the results.json schema (`parseResults`) and the HTML report built from it.
 */
export { trainRun, evaluate, type RunSettings, type RunOptions, type ImageSplit, type StepProgress } from '../train/trainer.js';
export { parseResults, type ResultsFile, type RunRecord, type EpochRecord, type ActivationLayerRecord } from '../results/schema.js';
export { renderReport, writeReport, type ReportOptions } from '../report/index.js';
