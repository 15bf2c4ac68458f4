/**
 * How many threads one kernel call may use (the calling thread included). Precedence:
 * `setKernelThreads(n)` > the `ACON_KERNEL_THREADS` environment variable > the number of cores
 * (`os.availableParallelism()`). In a worker thread (for example a data-parallel trainer's
 * replica, which already owns a core) the default is 1 and the environment variable is ignored;
 * while a `DataParallelTrainer` with several replicas is alive, its calling thread uses 1 too.
 */
import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';

export const KERNEL_THREADS_ENV = 'ACON_KERNEL_THREADS';

let requested: number | undefined;
let replicaTrainers = 0;

function checkCount(n: number, from: string): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`acon: kernel threads from ${from} must be a positive integer, got ${n}`);
  return n;
}

/** The thread count a plain process gets: see the module doc. */
export function defaultKernelThreads(env: NodeJS.ProcessEnv = process.env, mainThread = isMainThread): number {
  if (!mainThread) return 1;
  const fromEnv = env[KERNEL_THREADS_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return checkCount(Number(fromEnv), `the ${KERNEL_THREADS_ENV} environment variable`);
  return availableParallelism();
}

/**
 * Sets the number of threads (the calling thread included) that one ACON kernel call on the wasm
 * backend may use; `undefined` restores the default. Extra threads are started on first use.
 */
export function setKernelThreads(n: number | undefined): void {
  requested = n === undefined ? undefined : checkCount(n, 'setKernelThreads');
}

/** The number of threads a kernel call on this thread uses now. */
export function getKernelThreads(): number {
  if (replicaTrainers > 0) return 1;
  return requested ?? defaultKernelThreads();
}

/**
 * Keeps this thread's kernels on one thread until the returned function is called (a data-parallel
 * trainer's replicas already use every core).
 */
export function holdKernelThreadsAtOne(): () => void {
  replicaTrainers++;
  let released = false;
  return () => {
    if (!released) replicaTrainers--;
    released = true;
  };
}
