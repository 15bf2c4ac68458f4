/** Starting the replica worker, from compiled JavaScript or from TypeScript source. */
import { Worker } from 'node:worker_threads';

/** `worker.js` next to this module (`worker.ts` when running from source). */
const entry = new URL(`./worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * Starts a replica worker. Node 20 workers do not apply the parent's loader hooks (`--import tsx`
 * is ignored for their modules), so when the worker or the model module is TypeScript the worker
 * first registers tsx through its API, then imports the entry.
 */
export function spawnReplicaWorker(modelIsTypeScript: boolean): Worker {
  if (!modelIsTypeScript && !entry.pathname.endsWith('.ts')) return new Worker(entry);
  let tsx: string;
  try {
    tsx = import.meta.resolve('tsx/esm/api');
  } catch {
    throw new Error('acon: loading TypeScript in a worker thread needs the tsx package');
  }
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`));
}
