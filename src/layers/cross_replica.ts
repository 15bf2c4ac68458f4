/**
 * Cross-replica sums for synchronised batch normalisation (PyTorch's SyncBatchNorm): while a
 * reducer is installed, training-mode `TorchBatchNorm` (and MetaAconC's BN) take their statistics
 * over the union of all replicas' shards, so data-parallel training equals training on the whole
 * batch in one process. The Node data-parallel trainer installs one in each worker for each step.
 */

export interface CrossReplicaReducer {
  /** This replica's share of the batch, n_k/N (rows); its gradients are weighted by it. */
  readonly weight: number;
  /**
   * Σ_k w_k·values_k over the replicas, where w_k is each replica's `scale` argument, summed in
   * float64 in replica order so that every replica gets the same result. Blocks until all replicas
   * have contributed: every replica must make the same calls, with the same lengths, in the same order.
   */
  allReduce(values: ArrayLike<number>, scale?: number): Float64Array;
}

let active: CrossReplicaReducer | undefined;

/** Runs `fn` with `reducer` installed (synchronously; the previous one is restored afterwards). */
export function withCrossReplicaReducer<T>(reducer: CrossReplicaReducer | undefined, fn: () => T): T {
  const previous = active;
  active = reducer;
  try {
    return fn();
  } finally {
    active = previous;
  }
}

/** The installed reducer, if training runs as one of several synchronised replicas. */
export function crossReplicaReducer(): CrossReplicaReducer | undefined {
  return active;
}

/**
 * The reducer of a single replica: the all-reduce of its values is the values themselves (scaled).
 * With it the synchronised path computes ordinary batch norm on one thread.
 */
export const singleReplicaReducer: CrossReplicaReducer = {
  weight: 1,
  allReduce: (values, scale = 1) => {
    const out = new Float64Array(values.length);
    for (let i = 0; i < out.length; i++) out[i] = values[i] * scale;
    return out;
  },
};
