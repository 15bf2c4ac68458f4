/** Splitting a batch into shards, and combining the shards' results into the step's update. */
import type { ShardSync, StepUpdate } from './protocol.js';
import { sgdStep, type SgdState } from './sgd.js';

/** Sizes of `workers` contiguous shards of `n` rows: ⌊n/W⌋ each, the first n mod W shards one more. */
export function shardSizes(n: number, workers: number): number[] {
  const base = Math.floor(n / workers),
    extra = n % workers;
  return Array.from({ length: workers }, (_, k) => base + (k < extra ? 1 : 0));
}

/** The k-th of `parts` contiguous ranges [from, to) that split [0, n), sized as `shardSizes` does. */
export function sliceOf(n: number, parts: number, k: number): [number, number] {
  const sizes = shardSizes(n, parts);
  const from = sizes.slice(0, k).reduce((a, b) => a + b, 0);
  return [from, from + sizes[k]];
}

/**
 * out[i] = Σ_k w_k·parts_k[i] for i in [from, to), summed in float64 in shard order (so the result
 * is deterministic) and rounded once to float32.
 */
export function weightedSum(out: Float32Array, parts: Float32Array[], weights: number[], from = 0, to = out.length): void {
  for (let i = from; i < to; i++) {
    let s = 0;
    for (let k = 0; k < parts.length; k++) s += weights[k] * parts[k][i];
    out[i] = s;
  }
}

/** The step's shared memory: the weights, every replica's output slots, and the optimizer. */
export interface UpdateBuffers {
  params: Float32Array;
  state: Float32Array;
  grads: Float32Array[];
  statesOut: Float32Array[];
  optimizer: SgdState;
}

/**
 * Replica `sync.rank`'s part of the step's update, once every replica of the step has written its
 * gradient g_k and state s_k: for its slice of the parameters, one SGD-momentum update with
 * g = Σ_k w_k·g_k, where w_k = n_k/N makes g the gradient of the full batch's mean loss; for its
 * slice of the non-trainable state, s = Σ_k w_k·s_k. The slices of the replicas cover everything
 * once, so nothing needs to be broadcast: the next step reads the shared weights.
 */
export function applyUpdateSlice(b: UpdateBuffers, sync: ShardSync, update: StepUpdate): void {
  const grads = update.shares.map((s) => b.grads[s.replica]);
  const states = update.shares.map((s) => b.statesOut[s.replica]);
  const weights = update.shares.map((s) => s.weight);
  const [from, to] = sliceOf(b.params.length, sync.participants, sync.rank);
  sgdStep(b.optimizer, b.params, grads, weights, update.learningRate, from, to);
  weightedSum(b.state, states, weights, ...sliceOf(b.state.length, sync.participants, sync.rank));
}
