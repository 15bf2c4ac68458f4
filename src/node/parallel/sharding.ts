/** Splitting a batch into shards and combining the per-shard results. */

/** Sizes of `workers` contiguous shards of `n` rows: ⌊n/W⌋ each, the first n mod W shards one more. */
export function shardSizes(n: number, workers: number): number[] {
  const base = Math.floor(n / workers), extra = n % workers;
  return Array.from({ length: workers }, (_, k) => base + (k < extra ? 1 : 0));
}

/**
 * out[i] = Σ_k w_k·parts_k[i], summed in float64 in shard order (so the result is deterministic)
 * and rounded once to float32. With w_k = n_k/N and parts_k the gradient of shard k's mean loss,
 * this is the gradient of the full batch's mean loss.
 */
export function weightedSum(out: Float32Array, parts: Float32Array[], weights: number[]): void {
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let k = 0; k < parts.length; k++) s += weights[k] * parts[k][i];
    out[i] = s;
  }
}
