/**
 * All-reduce between replica workers through shared memory, for synchronised batch norm. Each
 * call writes this replica's scaled values into its slot, waits at a barrier (Atomics), and sums
 * all slots in replica order. Slots are double-buffered by call parity, so one barrier per call
 * suffices: a replica can only overwrite a slot set after everyone passed the next call's barrier,
 * that is, after everyone finished reading it.
 */
import type { CrossReplicaReducer } from '../../layers/cross_replica.js';

const ARRIVED = 0,
  GENERATION = 1,
  ABORTED = 2;
const CONTROL_WORDS = 3;

/** Message of the error a replica throws when another one failed mid-step. */
export const ABORTED_MESSAGE = 'acon: step abandoned because another replica failed';

/** The shared memory of one trainer's reductions: control words and 2 × replicas × `slotLength` float64 slots. */
export interface CollectiveBuffers {
  control: Int32Array;
  slots: Float64Array;
  replicas: number;
  slotLength: number;
}

export function createCollectiveBuffers(replicas: number, slotLength: number): CollectiveBuffers {
  return {
    control: new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS)),
    slots: new Float64Array(new SharedArrayBuffer(8 * 2 * replicas * slotLength)),
    replicas,
    slotLength,
  };
}

/** Coordinator side: ready for a new step (no replica is inside one). */
export function resetCollective(b: CollectiveBuffers): void {
  Atomics.store(b.control, ARRIVED, 0);
  Atomics.store(b.control, ABORTED, 0);
}

/** Wakes every replica waiting at a barrier, now or later in this step, and makes it throw `ABORTED_MESSAGE`. */
export function abortCollective(b: CollectiveBuffers): void {
  Atomics.store(b.control, ABORTED, 1);
  Atomics.notify(b.control, GENERATION);
}

/**
 * One replica's view for one step: it is `rank` of `participants`, with batch share `weight`.
 * With `patienceMs`, waiting longer than that at a barrier throws: the coordinating thread cannot
 * see a worker's crash while it blocks there, so it gives up instead of waiting forever.
 */
export class SharedMemoryReducer implements CrossReplicaReducer {
  private calls = 0;

  constructor(
    private readonly b: CollectiveBuffers,
    private readonly rank: number,
    private readonly participants: number,
    readonly weight: number,
    private readonly patienceMs = Infinity,
  ) {}

  allReduce(values: ArrayLike<number>, scale = 1): Float64Array {
    const { slots, replicas, slotLength: L } = this.b;
    if (values.length > L)
      throw new Error(`acon: cross-replica reduction of ${values.length} values exceeds the ${L} reserved per replica`);
    const set = (this.calls++ & 1) * replicas;
    const mine = slots.subarray((set + this.rank) * L, (set + this.rank) * L + values.length);
    for (let i = 0; i < values.length; i++) mine[i] = scale * values[i];
    this.barrier();
    const out = new Float64Array(values.length);
    for (let k = 0; k < this.participants; k++) {
      const base = (set + k) * L;
      for (let i = 0; i < out.length; i++) out[i] += slots[base + i];
    }
    return out;
  }

  /** Waits until every participant has arrived (throws if the step was aborted meanwhile). */
  barrier(): void {
    const c = this.b.control;
    const generation = Atomics.load(c, GENERATION);
    if (Atomics.add(c, ARRIVED, 1) === this.participants - 1) {
      Atomics.store(c, ARRIVED, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
      return;
    }
    const deadline = performance.now() + this.patienceMs;
    while (Atomics.load(c, GENERATION) === generation) {
      if (Atomics.load(c, ABORTED)) throw new Error(ABORTED_MESSAGE);
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(
          `acon: replica ${this.rank} waited ${this.patienceMs / 1000} s at a barrier for the other replicas; did a worker crash?`,
        );
      }
      Atomics.wait(c, GENERATION, generation, Math.min(1000, left));
    }
  }
}
