/** What the trainer needs from a replica, wherever it runs; and the in-process replica (`workers: 1`). */
import type { ShardSync } from './protocol.js';
import type { Replica } from './replica.js';

/** Weight buffers shared by all replicas, and one replica's output slots. */
export interface ReplicaSlots {
  params: Float32Array;
  state: Float32Array;
  grad: Float32Array;
  stateOut: Float32Array;
}

export interface ShardRunner {
  readonly backend: string;
  /**
   * Loads `params`/`state`, computes the gradient of the shard x `[n, ...]`, y `[n, classes]` into
   * `grad`, the state after the forward pass into `stateOut`, and resolves to the shard's loss.
   * Batch norm synchronises with the step's other shards as `sync` says.
   */
  step(x: Float32Array, y: Float32Array, n: number, sync: ShardSync): Promise<number>;
  dispose(): Promise<void>;
}

export class InProcessRunner implements ShardRunner {
  constructor(private readonly replica: Replica, private readonly slots: ReplicaSlots, readonly backend: string) {}

  async step(x: Float32Array, y: Float32Array, n: number): Promise<number> {
    const { params, state, grad, stateOut } = this.slots;
    this.replica.load(params, state);
    return this.replica.gradients(x, y, n, grad, stateOut);
  }

  async dispose(): Promise<void> {}
}
