/**
 * The coordinator's end of one replica worker: every request (init, step, evaluate) goes over the
 * worker's step channel. An error thrown while serving a request rejects that request
 * (the worker stays usable); a crash or exit rejects the pending request and every later one, so a
 * dead worker never leaves a caller waiting.
 */
import type { Worker } from 'node:worker_threads';
import type { ChannelRequest, EvaluateRequest, InitRequest, InitResult, LogLine, Reply, StepRequest } from './protocol.js';
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
  /** Set once the worker can no longer serve requests. */
  private failure?: Error;
  private info?: InitResult;
  private readonly steps: StepChannelClient<InitRequest | StepRequest | EvaluateRequest, Reply<unknown>>;

  private constructor(
    private readonly index: number,
    private readonly worker: Worker,
    private log: (msg: string) => void,
  ) {
    const channel = createStepChannel();
    this.steps = new StepChannelClient(channel.coordinator);
    worker.on('message', (line: LogLine) => this.log(`[worker ${index}] ${line.message}`));
    worker.on('error', (e: unknown) =>
      this.fail(e instanceof Error ? new WorkerError(index, e.message, e.stack) : new WorkerError(index, String(e))),
    );
    worker.on('messageerror', (e) => this.fail(new WorkerError(index, `unreadable message: ${e.message}`)));
    worker.on('exit', (code) => this.fail(new WorkerError(index, `exited unexpectedly (code ${code})`)));
    const request: ChannelRequest = { type: 'channel', steps: channel.worker };
    worker.postMessage(request, [channel.worker.port]);
    // Referenced only while a request is pending, so an idle worker does not keep the process alive.
    worker.unref();
  }

  /** Spawns worker `index`, which starts loading its code; `init()` builds its replica. */
  static spawn(index: number, modelIsTypeScript: boolean, log: (msg: string) => void): WorkerRunner {
    return new WorkerRunner(index, spawnReplicaWorker(modelIsTypeScript), log);
  }

  /** Spawns worker `index` and builds its replica; rejects (with the worker terminated) if that fails. */
  static async start(index: number, init: InitRequest, modelIsTypeScript: boolean, log: (msg: string) => void): Promise<WorkerRunner> {
    const runner = WorkerRunner.spawn(index, modelIsTypeScript, log);
    try {
      await runner.init(init, log);
    } catch (e) {
      await runner.dispose();
      throw e;
    }
    return runner;
  }

  /**
   * Builds the worker's replica for a trainer (replacing the one it had), with that trainer's
   * shared memory; its log lines go to `log` from now on.
   */
  async init(init: InitRequest, log: (msg: string) => void): Promise<void> {
    this.log = log;
    this.info = undefined;
    this.send(init);
    // Building takes a while: wait without blocking the calling thread.
    this.info = await this.receive<InitResult>(0);
  }

  /** The worker's `threadId`. */
  get threadId(): number {
    return this.worker.threadId;
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

  /** Starts a request on the worker; `receive()` gets its result. */
  send(req: InitRequest | StepRequest | EvaluateRequest): void {
    if (this.failure) throw this.failure;
    // Referenced until the reply is in, so that the process lives to see the worker exit mid-step.
    this.worker.ref();
    this.steps.send(req);
  }

  /**
   * The result of the request started by `send` (a step's shard loss), or its error; blocks the
   * calling thread for up to `blockMs` first (a step's reply comes within a few ms of its own shard).
   */
  async receive<T = number>(blockMs = BLOCKING_WAIT_MS): Promise<T> {
    let reply: Reply<unknown>;
    try {
      reply = this.steps.receiveSync(blockMs) ?? (await this.steps.receive(() => this.failure));
    } finally {
      this.worker.unref();
    }
    if (reply.type === 'error') throw new WorkerError(this.index, reply.message, reply.stack);
    return reply.value as T;
  }

  async dispose(): Promise<void> {
    this.fail(new Error(`acon worker ${this.index}: disposed`));
    await this.worker.terminate();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.steps.wake();
  }
}
