/**
 * The coordinator's end of one replica worker: request/reply over postMessage. An error thrown
 * while serving a request rejects that request (the worker stays usable); a crash or exit rejects
 * the pending request and every later one, so a dead worker never leaves a caller waiting.
 */
import type { Worker } from 'node:worker_threads';
import type { InitRequest, InitResult, Reply, Request, ShardSync, StepRequest } from './protocol.js';
import type { WeightLayout } from './replica.js';
import type { ShardRunner } from './runner.js';
import { spawnReplicaWorker } from './spawn.js';

/** An error from worker `worker`, with the worker's message (and its stack when it threw). */
export class WorkerError extends Error {
  constructor(readonly worker: number, message: string, readonly workerStack?: string) {
    super(`acon worker ${worker}: ${message}`);
    this.name = 'WorkerError';
  }
}

export class WorkerRunner implements ShardRunner {
  private pending?: { resolve: (value: InitResult | number) => void; reject: (e: Error) => void };
  /** Set once the worker can no longer serve requests. */
  private failure?: Error;
  private info?: InitResult;

  private constructor(private readonly index: number, private readonly worker: Worker, log: (msg: string) => void) {
    worker.on('message', (reply: Reply) => {
      if (reply.type === 'log') return log(`[worker ${index}] ${reply.message}`);
      const p = this.pending;
      this.pending = undefined;
      worker.unref();
      if (reply.type === 'ok') p?.resolve(reply.value);
      else p?.reject(new WorkerError(index, reply.message, reply.stack));
    });
    worker.on('error', (e: unknown) => this.fail(e instanceof Error ? new WorkerError(index, e.message, e.stack) : new WorkerError(index, String(e))));
    worker.on('messageerror', (e) => this.fail(new WorkerError(index, `unreadable message: ${e.message}`)));
    worker.on('exit', (code) => this.fail(new WorkerError(index, `exited unexpectedly (code ${code})`)));
  }

  /** Spawns worker `index` and builds its replica; rejects (with the worker terminated) if that fails. */
  static async start(index: number, init: InitRequest, modelIsTypeScript: boolean, log: (msg: string) => void): Promise<WorkerRunner> {
    const runner = new WorkerRunner(index, spawnReplicaWorker(modelIsTypeScript), log);
    try {
      runner.info = (await runner.request(init)) as InitResult;
    } catch (e) {
      await runner.dispose();
      throw e;
    }
    return runner;
  }

  get backend(): string {
    return this.info!.backend;
  }

  get layout(): WeightLayout {
    return this.info!.layout;
  }

  async step(x: Float32Array, y: Float32Array, n: number, sync: ShardSync): Promise<number> {
    const req: StepRequest = { type: 'step', x, y, n, sync };
    return (await this.request(req)) as number;
  }

  async dispose(): Promise<void> {
    this.fail(new Error(`acon worker ${this.index}: disposed`));
    await this.worker.terminate();
  }

  private request(req: Request): Promise<InitResult | number> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error(`acon worker ${this.index}: a request is already pending`));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      // Referenced only while a reply is awaited, so an idle trainer does not keep the process alive.
      this.worker.ref();
      this.worker.postMessage(req);
    });
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.pending?.reject(this.failure);
    this.pending = undefined;
  }
}
