/**
 * Replica workers kept alive across trainers. Starting a worker costs about a second here (Node,
 * tsx, tfjs and the wasm backend load; V8 then spends its first ~30 s optimising tfjs), so a
 * program that trains several models one after the other (`acon compare`: one per activation and
 * seed) passes one pool to every `DataParallelTrainer.create`: each trainer re-initialises the
 * pool's idle workers with its own model and shared memory instead of spawning new ones, and
 * `dispose()` of the trainer hands them back. Workers can also be spawned ahead (`prestart`), so
 * that they load while the calling thread reads data and builds its model.
 */
import type { InitRequest } from './protocol.js';
import { WorkerRunner } from './worker_runner.js';

export class WorkerPool {
  /** Worker k (1-based) at index k − 1; undefined where none was started or it was dropped. */
  private readonly runners: (WorkerRunner | undefined)[] = [];
  private readonly busy = new Set<WorkerRunner>();
  private disposed = false;

  constructor(private readonly log: (msg: string) => void = (msg) => console.error(msg)) {}

  /** Spawns workers 1 … count that are not running yet; each starts loading its code. */
  prestart(count: number, modelIsTypeScript: boolean): void {
    this.assertOpen();
    for (let k = 1; k <= count; k++) {
      const existing = this.runners[k - 1];
      if (existing && !existing.failed) continue;
      if (existing) void existing.dispose();
      this.runners[k - 1] = WorkerRunner.spawn(k, modelIsTypeScript, this.log);
    }
  }

  /**
   * Worker `index` (1-based) with its replica built for `init`: the pool's idle one if it is
   * alive, else a new one. Rejects if the build fails; that worker is then terminated and dropped.
   */
  async acquire(index: number, init: InitRequest, modelIsTypeScript: boolean, log: (msg: string) => void): Promise<WorkerRunner> {
    this.assertOpen();
    let runner = this.runners[index - 1];
    if (runner && this.busy.has(runner)) throw new Error(`acon: worker ${index} of the pool is in use by another trainer`);
    if (!runner || runner.failed) {
      if (runner) void runner.dispose();
      runner = WorkerRunner.spawn(index, modelIsTypeScript, this.log);
      this.runners[index - 1] = runner;
    }
    this.busy.add(runner);
    try {
      await runner.init(init, log);
    } catch (e) {
      this.busy.delete(runner);
      this.runners[index - 1] = undefined;
      await runner.dispose();
      throw e;
    }
    return runner;
  }

  /** The `threadId` of each worker the pool holds (worker k at index k − 1; undefined where there is none). */
  threadIds(): (number | undefined)[] {
    return this.runners.map((r) => r?.threadId);
  }

  /** Takes a trainer's workers back; a worker that failed is terminated. */
  async release(runners: WorkerRunner[]): Promise<void> {
    await Promise.all(
      runners.map(async (r) => {
        this.busy.delete(r);
        if (r.failed || this.disposed) {
          const k = this.runners.indexOf(r);
          if (k >= 0) this.runners[k] = undefined;
          await r.dispose();
        }
      }),
    );
  }

  /** Terminates every worker of the pool (those still used by a trainer too). */
  async dispose(): Promise<void> {
    this.disposed = true;
    const all = this.runners.filter((r): r is WorkerRunner => r !== undefined);
    this.runners.length = 0;
    this.busy.clear();
    await Promise.all(all.map((r) => r.dispose()));
  }

  private assertOpen(): void {
    if (this.disposed) throw new Error('acon: WorkerPool used after dispose()');
  }
}
