/**
 * Synchronous data-parallel training on several threads (tfjs's wasm backend is single-threaded
 * in Node, so one replica per core is how training uses several cores): replica 0 runs on the
 * calling thread, the others in worker threads.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { withCrossReplicaReducer } from '../../layers/cross_replica.js';
import { initNodeBackend, NODE_BACKENDS, type NodeBackendName } from '../backend.js';
import { holdKernelThreadsAtOne } from '../threads/kernel_threads.js';
import type { LossSpec } from './loss.js';
import { buildModel, isTypeScriptModule, resolveModelSpec, type ModelFactorySpec } from './model_spec.js';
import { Replica } from './replica.js';
import {
  ABORTED_MESSAGE,
  abortCollective,
  createCollectiveBuffers,
  resetCollective,
  SharedMemoryReducer,
  type CollectiveBuffers,
} from './collective.js';
import { evaluateBatch, type EvalBatch, type EvalSums } from './evaluate.js';
import type { InitRequest, ShardSync, StepUpdate } from './protocol.js';
import { checkLearningRate, createSgdState, type SgdSpec, type SgdState } from './sgd.js';
import { applyUpdateSlice, shardSizes, sliceOf, type UpdateBuffers } from './sharding.js';
import type { WorkerPool } from './worker_pool.js';
import { WorkerRunner } from './worker_runner.js';

export interface DataParallelTrainerOptions {
  model: ModelFactorySpec;
  optimizer: SgdSpec;
  /** Default: softmax cross-entropy without label smoothing. */
  loss?: LossSpec;
  /** Number of replicas: the calling thread and `workers − 1` worker threads. */
  workers: number;
  /**
   * Backend of the replicas, selected on the calling thread too (as `initNodeBackend` does).
   * Default: the calling thread's active backend, which the workers use too if it is wasm or cpu.
   */
  backend?: NodeBackendName;
  /** Receives backend lines (from workers too, prefixed `[worker k]`). Default: `console.error`. */
  log?: (msg: string) => void;
  /**
   * Takes the worker threads from this pool (re-initialised with this model) and gives them back
   * on `dispose()`, instead of starting and terminating its own.
   */
  pool?: WorkerPool;
}

export interface StepOptions {
  /** This step's learning rate; default: the optimizer spec's. */
  learningRate?: number;
}

const floats = (n: number, shared: boolean): Float32Array =>
  shared ? new Float32Array(new SharedArrayBuffer(4 * n)) : new Float32Array(n);

/**
 * How long the calling thread waits at a barrier (batch norm's, or the one before the update)
 * before it concludes that a worker died (it cannot see the worker's exit event while it blocks).
 */
const BARRIER_PATIENCE_MS = 60_000;

/**
 * Trains one model as W replicas. Each step splits the batch of N rows into W contiguous shards of
 * ⌊N/W⌋ or ⌈N/W⌉ rows; replica k computes g_k, the gradient of its shard's mean loss (replica 0
 * on the calling thread, at the same time as the workers). After a barrier each replica applies,
 * to its slice of the single shared copy of the weights, one SGD-momentum update with
 * g = Σ_k (n_k/N)·g_k, the gradient of the full batch's mean loss; all replicas read the new
 * weights at the start of the next step.
 *
 * Batch norm (`TorchBatchNorm`, and MetaAconC's) is synchronised: in the forward pass the replicas
 * all-reduce per-channel sums, so every shard is normalised with the whole batch's mean and
 * variance, and the backward pass all-reduces Σdy and Σdy·x̂ (see `torch_batch_norm.ts`). So for
 * these models too, W replicas train as one process on the full batch, up to float32 summation
 * order. The stock tfjs `BatchNormalization` is not synchronised: each shard is normalised with its
 * own statistics ("ghost batch norm"), and its moving statistics become Σ_k (n_k/N)·s_k (the
 * trainer warns when a model has one). Stochastic layers (dropout) draw independently in each replica.
 */
export class DataParallelTrainer {
  private x: Float32Array = new Float32Array(0);
  private y: Float32Array = new Float32Array(0);
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;
  /** With several replicas every core has one, so the calling thread's kernels stay on one thread until dispose(). */
  private readonly releaseKernelThreads: () => void;

  private constructor(
    /** Replica 0, on the calling thread; its model is the one `getModel()` returns. */
    private readonly replica: Replica,
    private readonly backend: string,
    /** Replicas 1..W−1. */
    private readonly remotes: WorkerRunner[],
    private readonly buffers: UpdateBuffers,
    private readonly learningRate: number,
    private readonly collective?: CollectiveBuffers,
    private readonly pool?: WorkerPool,
  ) {
    this.releaseKernelThreads = remotes.length > 0 ? holdKernelThreadsAtOne() : () => {};
  }

  /** Builds the model on the calling thread (its initial weights are every replica's), then starts the workers. */
  static async create(opts: DataParallelTrainerOptions): Promise<DataParallelTrainer> {
    const W = opts.workers;
    if (!Number.isInteger(W) || W < 1) throw new Error(`acon: workers must be a positive integer, got ${W}`);
    const log = opts.log ?? ((msg: string) => console.error(msg));
    const loss = opts.loss ?? { type: 'softmaxCrossEntropy' };
    const spec = resolveModelSpec(opts.model);
    if (opts.backend) await initNodeBackend({ backend: opts.backend, log });
    const backend = tf.getBackend();
    const model = await buildModel(spec);
    const shared = W > 1;
    let replica: Replica, optimizer: SgdState;
    try {
      replica = new Replica(model, loss);
      optimizer = createSgdState(opts.optimizer, replica.weightInfo, (n) => floats(n, shared));
    } catch (e) {
      model.dispose();
      throw e;
    }
    const P = replica.paramCount,
      S = replica.stateCount;
    const gradBuf = floats(W * P, shared),
      stateBuf = floats(W * S, shared);
    const buffers: UpdateBuffers = {
      params: floats(P, shared),
      state: floats(S, shared),
      grads: Array.from({ length: W }, (_, k) => gradBuf.subarray(k * P, (k + 1) * P)),
      statesOut: Array.from({ length: W }, (_, k) => stateBuf.subarray(k * S, (k + 1) * S)),
      optimizer,
    };
    replica.save(buffers.params, buffers.state);
    const lr = opts.optimizer.learningRate;

    if (W === 1) return new DataParallelTrainer(replica, backend, [], buffers, lr);

    if (model.layers.some((l) => l.getClassName() === 'BatchNormalization')) {
      log(
        "acon: this model has tfjs BatchNormalization layers, which normalise each replica's shard separately; TorchBatchNorm synchronises across replicas",
      );
    }
    // Synchronised batch norm reduces at most 2 values per channel (+2: the row count and a flag) at a time.
    const widest = Math.max(0, ...replica.layout.state.map((s) => s.reduce((a, b) => a * b, 1)));
    const collective = createCollectiveBuffers(W, Math.max(16, 2 * widest + 2));

    const workerBackend = (NODE_BACKENDS as readonly string[]).includes(backend) ? (backend as NodeBackendName) : undefined;
    const pool = opts.pool;
    const started = await Promise.allSettled(
      Array.from({ length: W - 1 }, (_, i) => {
        const init: InitRequest = { type: 'init', model: spec, loss, backend: workerBackend, replica: i + 1, buffers, collective };
        return pool
          ? pool.acquire(i + 1, init, isTypeScriptModule(spec), log)
          : WorkerRunner.start(i + 1, init, isTypeScriptModule(spec), log);
      }),
    );
    const remotes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r) => r.status === 'rejected');
    const mismatch = remotes.find((r) => JSON.stringify(r.layout) !== JSON.stringify(replica.layout));
    if (failed || mismatch) {
      await (pool ? pool.release(remotes) : Promise.all(remotes.map((r) => r.dispose())));
      model.dispose();
      if (failed) throw failed.reason;
      throw new Error(
        `acon: the model built in worker threads has weight shapes ${JSON.stringify(mismatch!.layout)}, ` +
          `the calling thread's ${JSON.stringify(replica.layout)}; the factory must build the same architecture every time`,
      );
    }
    return new DataParallelTrainer(replica, backend, remotes, buffers, lr, collective, pool);
  }

  /** Number of replicas. */
  get workers(): number {
    return 1 + this.remotes.length;
  }

  /** The backend each replica runs on (replica 0: the calling thread's). */
  get backends(): string[] {
    return [this.backend, ...this.remotes.map((r) => r.backend)];
  }

  /**
   * One synchronous training step on the batch x `[N, ...inputShape]` with labels y: class indices
   * `[N]` or target distributions `[N, classes]`. Resolves to the batch's mean loss (before the
   * update). Steps run one at a time in call order; x and y must stay alive until this settles.
   * If a replica fails, the weights are left unchanged and the promise rejects with its error.
   */
  step(x: tf.Tensor, y: tf.Tensor, opts: StepOptions = {}): Promise<number> {
    const run = this.queue.then(() => this.runStep(x, y, opts.learningRate));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Evaluates the current weights in inference mode on each batch (one forward pass per batch),
   * the replicas in parallel: batch b runs on replica b mod W. Resolves to each batch's sums, in
   * batch order. Runs in turn with `step()` calls; the batches must stay unchanged until it settles.
   */
  evaluate(batches: EvalBatch[]): Promise<EvalSums[]> {
    const run = this.queue.then(() => this.runEvaluation(batches));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Copies of everything that evolves during training: weights, non-trainable state, optimizer velocity. */
  snapshot(): { params: Float32Array; state: Float32Array; velocity: Float32Array } {
    const { params, state, optimizer } = this.buffers;
    return { params: params.slice(), state: state.slice(), velocity: optimizer.velocity.slice() };
  }

  /** Puts back what `snapshot()` returned (of a trainer of the same model); the next step continues from it. */
  restore(s: Record<string, Float32Array>): void {
    const { params, state, optimizer } = this.buffers;
    for (const [name, target] of [
      ['params', params],
      ['state', state],
      ['velocity', optimizer.velocity],
    ] as const) {
      const src = s[name];
      if (!src || src.length !== target.length) {
        throw new Error(
          `acon: cannot restore '${name}': expected ${target.length} values, got ${src ? src.length : 'none'} (a snapshot of another model?)`,
        );
      }
    }
    params.set(s.params);
    state.set(s.state);
    optimizer.velocity.set(s.velocity);
  }

  /** The calling thread's model, with the current weights and state loaded; valid until `dispose()`. */
  getModel(): LayersModel {
    this.replica.load(this.buffers.params, this.buffers.state);
    return this.replica.model;
  }

  /** Terminates the workers (or gives them back to the pool) and disposes the model. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.releaseKernelThreads();
    await (this.pool ? this.pool.release(this.remotes) : Promise.all(this.remotes.map((r) => r.dispose())));
    this.replica.model.dispose();
  }

  private async runEvaluation(batches: EvalBatch[]): Promise<EvalSums[]> {
    if (this.disposed) throw new Error('acon: DataParallelTrainer used after dispose()');
    const W = this.workers;
    const mine = (k: number) => batches.filter((_, b) => b % W === k);
    const failedRemote = this.remotes.find((r) => r.failed);
    if (failedRemote) throw failedRemote.failed;
    const busy = this.remotes.filter((r, i) => {
      const share = mine(i + 1);
      if (share.length) r.send({ type: 'evaluate', batches: share });
      return share.length > 0;
    });
    let local: PromiseSettledResult<EvalSums[]>;
    try {
      this.replica.load(this.buffers.params, this.buffers.state);
      local = { status: 'fulfilled', value: mine(0).map((b) => evaluateBatch(this.replica.model, this.replica.inputShape, b)) };
    } catch (e) {
      local = { status: 'rejected', reason: e };
    }
    const remote = await Promise.allSettled(busy.map((r) => r.receive<EvalSums[]>()));
    const failure = [...remote, local].find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
    const shares = [local, ...remote].map((r) => (r as PromiseFulfilledResult<EvalSums[]>).value);
    return batches.map((_, b) => shares[b % W][Math.floor(b / W)]);
  }

  private async runStep(x: tf.Tensor, y: tf.Tensor, learningRate: number | undefined): Promise<number> {
    if (this.disposed) throw new Error('acon: DataParallelTrainer used after dispose()');
    const { inputShape, numClasses: C } = this.replica;
    const n = x.shape[0],
      rowSize = x.size / Math.max(n, 1);
    if (n < 1 || x.rank !== inputShape.length + 1 || x.shape.slice(1).some((d, i) => d !== inputShape[i])) {
      throw new Error(`acon: expected x of shape [N ≥ 1, ${inputShape}], got [${x.shape}]`);
    }
    if (y.shape[0] !== n || !(y.rank === 1 || (y.rank === 2 && y.shape[1] === C))) {
      throw new Error(`acon: expected y of shape [${n}] (class indices) or [${n}, ${C}], got [${y.shape}]`);
    }
    if (this.x.length < n * rowSize) {
      this.x = floats(n * rowSize, this.workers > 1);
      this.y = floats(n * C, this.workers > 1);
    }
    this.x.set(x.dataSync());
    if (y.rank === 1) {
      const targets = tf.tidy(() => tf.oneHot(tf.cast(y, 'int32'), C));
      this.y.set(targets.dataSync());
      targets.dispose();
    } else {
      this.y.set(y.dataSync());
    }

    const lr = learningRate ?? this.learningRate;
    checkLearningRate(lr);
    const sizes = shardSizes(n, this.workers);
    const active = sizes.flatMap((size, k) => (size > 0 ? [k] : []));
    const weights = active.map((k) => sizes[k] / n);
    const update: StepUpdate = { shares: active.map((k, i) => ({ replica: k, weight: weights[i] })), learningRate: lr };
    const shard = (k: number) => {
      const [start, end] = sliceOf(n, this.workers, k);
      return { x: this.x.subarray(start * rowSize, end * rowSize), y: this.y.subarray(start * C, end * C), n: sizes[k] };
    };
    const syncOf = (rank: number): ShardSync => ({ rank, participants: active.length, weight: weights[rank] });
    const failedRemote = this.remotes.find((r) => r.failed);
    if (failedRemote) throw failedRemote.failed;
    if (this.collective) resetCollective(this.collective);
    // Shard 0 (never empty) is the calling thread's; the workers start on theirs first.
    active.forEach((k, rank) => {
      if (k > 0) this.remotes[k - 1].send({ type: 'step', ...shard(k), sync: syncOf(rank), update });
    });
    let local: PromiseSettledResult<number>;
    try {
      const { x: x0, y: y0, n: n0 } = shard(0);
      const reducer =
        this.collective && active.length > 1
          ? new SharedMemoryReducer(this.collective, 0, active.length, weights[0], BARRIER_PATIENCE_MS)
          : undefined;
      this.replica.load(this.buffers.params, this.buffers.state);
      const loss = withCrossReplicaReducer(reducer, () =>
        this.replica.gradients(x0, y0, n0, this.buffers.grads[0], this.buffers.statesOut[0]),
      );
      // Once every replica's gradient is in, each updates its slice of the weights.
      reducer?.barrier();
      applyUpdateSlice(this.buffers, syncOf(0), update);
      local = { status: 'fulfilled', value: loss };
    } catch (e) {
      // A replica that fails mid-step would leave the others waiting at a barrier; none updates.
      if (this.collective) abortCollective(this.collective);
      local = { status: 'rejected', reason: e };
    }
    // Wait for every shard, so no replica still reads the buffers when the caller moves on.
    const remote = await Promise.allSettled(active.slice(1).map((k) => this.remotes[k - 1].receive()));
    const results = [local, ...remote];
    // A worker's own error explains the others' (aborted barriers, the calling thread's timed-out wait).
    const failures = [...remote, local].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    const aborted = (e: unknown) => e instanceof Error && e.message.endsWith(ABORTED_MESSAGE);
    if (failures.length) throw failures.find((e) => !aborted(e)) ?? failures[0];

    return results.reduce((sum, r, i) => sum + weights[i] * (r as PromiseFulfilledResult<number>).value, 0);
  }
}
