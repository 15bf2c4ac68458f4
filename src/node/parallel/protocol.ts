/**
 * Messages between the coordinating thread and a replica worker. The first, `channel`, goes to the
 * worker's event loop and hands it its step channel (`step_channel.ts`); every request after it goes
 * over that channel and gets one reply (`ok` or `error`): `init` (build the replica of a trainer;
 * a worker kept in a `WorkerPool` gets one per trainer), then `step` and `evaluate`. The worker
 * posts `log` lines at any time. All Float32Arrays
 * are views of SharedArrayBuffers, so posting them shares memory instead of copying it.
 */
import type { NodeBackendName } from '../backend.js';
import type { CollectiveBuffers } from './collective.js';
import type { EvalBatch } from './evaluate.js';
import type { LossSpec } from './loss.js';
import type { ResolvedModelSpec } from './model_spec.js';
import type { WeightLayout } from './replica.js';
import type { UpdateBuffers } from './sharding.js';
import type { ChannelEnd } from './step_channel.js';

export interface InitRequest {
  type: 'init';
  model: ResolvedModelSpec;
  loss: LossSpec;
  /** Undefined: the worker resolves `ACON_BACKEND` / the default itself. */
  backend?: NodeBackendName;
  /** This worker's replica index k: it writes its shard's gradient to grads[k], its state to statesOut[k]. */
  replica: number;
  /** The weights (non-trainable state included), every replica's output slots, and the optimizer. */
  buffers: UpdateBuffers;
  /** Shared memory for synchronised batch norm and the step's barriers. */
  collective: CollectiveBuffers;
}

/** The first message to a worker, and its only one over `postMessage`: its end of the step channel (the port in the transfer list). */
export interface ChannelRequest {
  type: 'channel';
  steps: ChannelEnd;
}

/**
 * Compute the gradient of the shard x `[n, ...]`, y `[n, classes]` at the current weights, then,
 * once every replica of the step has, this replica's slice of the update.
 */
export interface StepRequest {
  type: 'step';
  x: Float32Array;
  y: Float32Array;
  n: number;
  sync: ShardSync;
  update: StepUpdate;
}

/** Evaluate the current weights (inference mode) on each batch; the reply holds an `EvalSums` per batch, in order. */
export interface EvaluateRequest {
  type: 'evaluate';
  batches: EvalBatch[];
}

/** The step's replicas (indices into the output slots) with their shares n_k/N, and its learning rate. */
export interface StepUpdate {
  shares: { replica: number; weight: number }[];
  learningRate: number;
}

/** Where a shard stands in its step: replica `rank` of `participants`, holding `weight` = n_k/N of the batch. */
export interface ShardSync {
  rank: number;
  participants: number;
  weight: number;
}

export interface InitResult {
  backend: string;
  layout: WeightLayout;
}

export type Reply<T> = { type: 'ok'; value: T } | { type: 'error'; message: string; stack?: string };

export type LogLine = { type: 'log'; message: string };
