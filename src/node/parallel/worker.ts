/** Entry point of a replica worker: serves the requests of `protocol.ts`, one at a time, in order. */
import { parentPort } from 'node:worker_threads';
import { withCrossReplicaReducer } from '../../layers/cross_replica.js';
import { initNodeBackend } from '../backend.js';
import { SharedMemoryReducer } from './collective.js';
import { buildModel } from './model_spec.js';
import type { InitRequest, InitResult, Reply, Request } from './protocol.js';
import { Replica } from './replica.js';

const port = parentPort;
if (!port) throw new Error('acon: parallel/worker.js must run in a worker thread');
const post = (reply: Reply) => port.postMessage(reply);

let replica: Replica | undefined;
let slots: InitRequest | undefined;

async function handle(req: Request): Promise<InitResult | number> {
  if (req.type === 'init') {
    const backend = await initNodeBackend({ backend: req.backend, log: (message) => post({ type: 'log', message }) });
    replica = new Replica(await buildModel(req.model), req.loss);
    slots = req;
    return { backend, layout: replica.layout };
  }
  if (!replica || !slots) throw new Error('step before init');
  const { params, state, grad, stateOut, collective } = slots, r = replica;
  r.load(params, state);
  const { rank, participants, weight } = req.sync;
  const reducer = participants > 1 ? new SharedMemoryReducer(collective, rank, participants, weight) : undefined;
  return withCrossReplicaReducer(reducer, () => r.gradients(req.x, req.y, req.n, grad, stateOut));
}

let queue = Promise.resolve();
port.on('message', (req: Request) => {
  queue = queue.then(async () => {
    try {
      post({ type: 'ok', value: await handle(req) });
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      post({ type: 'error', message: err.message, stack: err.stack });
    }
  });
});
