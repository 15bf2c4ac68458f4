/**
 * The coordinator's end of one replica worker. `init` is a request/reply over `postMessage`; steps
 * go over the worker's step channel. An error thrown while serving a request rejects that request
 * (the worker stays usable); a crash or exit rejects the pending request and every later one, so a
 * dead worker never leaves a caller waiting.
 */
import type { Worker } from 'node:worker_threads';
import type { InitRequest, InitResult, LogLine, Reply, StepRequest } from './protocol.js';
import type { WeightLayout } from './replica.js';
import { spawnReplicaWorker } from './spawn.js';
import { createStepChannel, StepChannelClient } from './step_channel.js';

/** An error from worker `worker`, with the worker's message (and its stack when it threw). */
export class WorkerError extends Error {
  constructor(
    readonly worker: number,
    message: string,
    readonly workerStack?: string,
  ) {
    super(`acon worker ${worker}: ${message}`);
    this.name = 'WorkerError';
  }
}

/**
 * How long `receive()` blocks the calling thread for a reply before it waits asynchronously, so
 * that a worker's crash (an event) can be noticed. Replies normally come within a few ms of the
 * calling thread's own shard.
 */
const BLOCKING_WAIT_MS = 100;

export class WorkerRunner {
  private pendingInit?: { resolve: (value: InitResult) => void; reject: (e: Error) => void };
  private readonly initialised: Promise<InitResult>;
  /** Set once the worker can no longer serve requests. */
  private failure?: Error;
  private info?: InitResult;
  private readonly steps: StepChannelClient<StepRequest, Reply<number>>;

  private constructor(
    private readonly index: number,
    private readonly worker: Worker,
    init: Omit<InitRequest, 'steps'>,
    log: (msg: string) => void,
  ) {
    this.initialised = new Promise((resolve, reject) => {
      this.pendingInit = { resolve, reject };
    });
    const channel = createStepChannel();
    this.steps = new StepChannelClient(channel.coordinator);
    worker.on('message', (reply: Reply<InitResult> | LogLine) => {
      if (reply.type === 'log') return log(`[worker ${index}] ${reply.message}`);
      const p = this.pendingInit;
      this.pendingInit = undefined;
      if (reply.type === 'ok') p?.resolve(reply.value);
      else p?.reject(new WorkerError(index, reply.message, reply.stack));
    });
    worker.on('error', (e: unknown) =>
      this.fail(e instanceof Error ? new WorkerError(index, e.message, e.stack) : new WorkerError(index, String(e))),
    );
    worker.on('messageerror', (e) => this.fail(new WorkerError(index, `unreadable message: ${e.message}`)));
    worker.on('exit', (code) => this.fail(new WorkerError(index, `exited unexpectedly (code ${code})`)));
    const request: InitRequest = { ...init, steps: channel.worker };
    worker.postMessage(request, [channel.worker.port]);
  }

  /** Spawns worker `index` and builds its replica; rejects (with the worker terminated) if that fails. */
  static async start(
    index: number,
    init: Omit<InitRequest, 'steps'>,
    modelIsTypeScript: boolean,
    log: (msg: string) => void,
  ): Promise<WorkerRunner> {
    const worker = spawnReplicaWorker(modelIsTypeScript);
    const runner = new WorkerRunner(index, worker, init, log);
    try {
      runner.info = await runner.initialised;
    } catch (e) {
      await runner.dispose();
      throw e;
    }
    // Referenced only during a step, so an idle trainer does not keep the process alive.
    worker.unref();
    return runner;
  }

  get backend(): string {
    return this.info!.backend;
  }

  get layout(): WeightLayout {
    return this.info!.layout;
  }

  /** Why the worker can no longer serve steps, if it cannot. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Starts a step on the worker; `receive()` gets its result. */
  send(req: StepRequest): void {
    if (this.failure) throw this.failure;
    // Referenced until the reply is in, so that the process lives to see the worker exit mid-step.
    this.worker.ref();
    this.steps.send(req);
  }

  /** The shard loss of the step started by `send`, or its error. */
  async receive(): Promise<number> {
    let reply: Reply<number>;
    try {
      reply = this.steps.receiveSync(BLOCKING_WAIT_MS) ?? (await this.steps.receive(() => this.failure));
    } finally {
      this.worker.unref();
    }
    if (reply.type === 'error') throw new WorkerError(this.index, reply.message, reply.stack);
    return reply.value;
  }

  async dispose(): Promise<void> {
    this.fail(new Error(`acon worker ${this.index}: disposed`));
    await this.worker.terminate();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.steps.wake();
    this.pendingInit?.reject(this.failure);
    this.pendingInit = undefined;
  }
}
