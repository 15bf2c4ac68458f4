/**
 * Messages between the coordinating thread and a replica worker. `init` goes to the worker's event
 * loop and gets one reply (`ok` or `error`); after it the worker serves `step` requests on its step
 * channel (`step_channel.ts`), one reply each. `log` lines may come at any time. All Float32Arrays
 * are views of SharedArrayBuffers, so posting them shares memory instead of copying it.
 */
import type { NodeBackendName } from '../backend.js';
import type { CollectiveBuffers } from './collective.js';
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
  /** The worker's end of its step channel (its port is in the transfer list). */
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
