/**
 * TensorFlow.js backend choice for Node: `wasm` by default, `cpu` as the fallback.
 *
 * Precedence: the `backend` option (what a CLI's `--backend` flag passes) > the `ACON_BACKEND`
 * environment variable > `wasm`. If `wasm` fails to initialise, `cpu` is used and the reason logged.
 */
import * as tf from '@tensorflow/tfjs-core';
import { shareWasmBackendHeap } from './threads/shared_heap.js';

export const NODE_BACKENDS = ['wasm', 'cpu'] as const;
export type NodeBackendName = (typeof NODE_BACKENDS)[number];

/** The environment variable that selects the backend when no option is given. */
export const BACKEND_ENV = 'ACON_BACKEND';

export interface NodeBackendOptions {
  /** Overrides `ACON_BACKEND`; validated at run time, since a CLI passes user input here. */
  backend?: NodeBackendName;
  /** Receives one line naming the chosen backend (and any fallback). Default: `console.error`. */
  log?: (msg: string) => void;
}

/** Where the backend name came from, for messages. */
export type BackendSource = 'option' | typeof BACKEND_ENV | 'default';

/** The requested backend and its source; throws a message naming the source and the valid values. */
export function resolveBackendName(
  option?: string,
  env: NodeJS.ProcessEnv = process.env,
): { name: NodeBackendName; source: BackendSource } {
  const fromEnv = env[BACKEND_ENV];
  const [value, source]: [string | undefined, BackendSource] =
    option !== undefined ? [option, 'option'] : fromEnv ? [fromEnv, BACKEND_ENV] : [undefined, 'default'];
  if (value === undefined) return { name: 'wasm', source };
  if ((NODE_BACKENDS as readonly string[]).includes(value)) return { name: value as NodeBackendName, source };
  const where = source === 'option' ? 'the --backend flag (initNodeBackend option `backend`)' : `the ${BACKEND_ENV} environment variable`;
  throw new Error(`acon: invalid backend '${value}' from ${where}; valid values: ${NODE_BACKENDS.join(', ')}`);
}

const backendPackages: Record<NodeBackendName, () => Promise<unknown>> = {
  wasm: () => import('@tensorflow/tfjs-backend-wasm'),
  cpu: () => import('@tensorflow/tfjs-backend-cpu'),
};

/**
 * Imports every backend package that is installed (so that training kernels registered afterwards
 * are not overwritten by a backend loaded later); returns why each that failed could not be loaded.
 */
export async function loadBackendPackages(): Promise<Partial<Record<NodeBackendName, string>>> {
  const failures: Partial<Record<NodeBackendName, string>> = {};
  await Promise.all(
    NODE_BACKENDS.map((name) =>
      backendPackages[name]().catch((e: Error) => {
        failures[name] = `cannot load @tensorflow/tfjs-backend-${name}: ${e.message}`;
      }),
    ),
  );
  return failures;
}

/** Makes `name` the active backend; returns why it failed, or undefined on success. */
async function activate(name: NodeBackendName, loadFailure: string | undefined): Promise<string | undefined> {
  if (loadFailure) return loadFailure;
  if (!(await tf.setBackend(name))) return `tf.setBackend('${name}') failed; tfjs logged the cause above`;
  await tf.ready();
  return undefined;
}

/** Resolved relative to this module; a variable, so that this module works without the kernels. */
const TRAINING_KERNELS = './kernels/index.js';

/** Calls the idempotent `registerTrainingKernels()` of `./kernels/index.js`; false if that module is absent. */
async function registerTrainingKernels(): Promise<boolean> {
  let mod: { registerTrainingKernels?: () => unknown };
  try {
    mod = await import(TRAINING_KERNELS);
  } catch (e) {
    const { code, url } = e as { code?: string; url?: string };
    if (code === 'ERR_MODULE_NOT_FOUND' && url === new URL(TRAINING_KERNELS, import.meta.url).href) return false;
    throw e;
  }
  if (typeof mod.registerTrainingKernels !== 'function') return false;
  await mod.registerTrainingKernels();
  return true;
}

/**
 * Selects and initialises the backend (see the module doc), registers the fast training kernels
 * when they are available, logs one line about the choice, and returns the active backend name.
 * `wasm` falls back to `cpu` whatever its source; if `cpu` then fails to initialise, this throws.
 */
export async function initNodeBackend(opts: NodeBackendOptions = {}): Promise<NodeBackendName> {
  const log = opts.log ?? ((msg: string) => console.error(msg));
  const { name, source } = resolveBackendName(opts.backend);
  const notes: string[] = [source === 'option' ? 'requested' : source === 'default' ? 'default' : `from ${BACKEND_ENV}`];
  const loadFailures = await loadBackendPackages();
  shareWasmBackendHeap();
  let active = name;
  if (name === 'wasm') {
    const failure = await activate('wasm', loadFailures.wasm);
    if (failure) {
      notes.push(`fell back from wasm: ${failure}`);
      active = 'cpu';
    }
  }
  if (active === 'cpu') {
    const failure = await activate('cpu', loadFailures.cpu);
    if (failure) throw new Error(`acon: backend cpu failed to initialise: ${failure}`);
  }
  notes.push((await registerTrainingKernels()) ? 'fast training kernels registered' : 'fast training kernels not available');
  log(`acon: backend ${active} (${notes.join('; ')})`);
  return active;
}
