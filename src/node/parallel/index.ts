/** Data-parallel training across worker threads; see `DataParallelTrainer` and docs/parallel.md. */
export { DataParallelTrainer, type DataParallelTrainerOptions, type StepOptions } from './trainer.js';
export { WorkerError } from './worker_runner.js';
export { WorkerPool } from './worker_pool.js';
export type { EvalBatch, EvalSums } from './evaluate.js';
export type { ModelFactorySpec, Json } from './model_spec.js';
export type { LossSpec, SoftmaxCrossEntropySpec } from './loss.js';
export type { SgdSpec } from './sgd.js';
