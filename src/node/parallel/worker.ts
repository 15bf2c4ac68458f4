/**
 * Entry point of a replica worker: builds its replica on the `init` message, then serves step
 * requests on its step channel until it is terminated.
 */
import { parentPort } from 'node:worker_threads';
import { withCrossReplicaReducer } from '../../layers/cross_replica.js';
import { initNodeBackend } from '../backend.js';
import { abortCollective, SharedMemoryReducer } from './collective.js';
import { buildModel } from './model_spec.js';
import type { InitRequest, InitResult, LogLine, Reply, StepRequest } from './protocol.js';
import { Replica } from './replica.js';
import { applyUpdateSlice } from './sharding.js';
import { serveStepChannel } from './step_channel.js';

const port = parentPort;
if (!port) throw new Error('acon: parallel/worker.js must run in a worker thread');
const post = (message: Reply<InitResult> | LogLine) => port.postMessage(message);

function errorReply(e: unknown): Reply<never> {
  const err = e instanceof Error ? e : new Error(String(e));
  return { type: 'error', message: err.message, stack: err.stack };
}

port.once('message', async (init: InitRequest) => {
  let replica: Replica;
  try {
    const backend = await initNodeBackend({ backend: init.backend, log: (message) => post({ type: 'log', message }) });
    replica = new Replica(await buildModel(init.model), init.loss);
    post({ type: 'ok', value: { backend, layout: replica.layout } });
  } catch (e) {
    post(errorReply(e));
    return;
  }
  const { buffers, collective } = init;
  // A replica that stops mid-step (process.exit in a layer) must not leave the others at a barrier.
  process.on('exit', () => abortCollective(collective));
  serveStepChannel<StepRequest, Reply<number>>(init.steps, (req) => {
    try {
      const { rank, participants, weight } = req.sync;
      const reducer = new SharedMemoryReducer(collective, rank, participants, weight);
      replica.load(buffers.params, buffers.state);
      const loss = withCrossReplicaReducer(reducer, () =>
        replica.gradients(req.x, req.y, req.n, buffers.grads[init.replica], buffers.statesOut[init.replica]),
      );
      reducer.barrier();
      applyUpdateSlice(buffers, req.sync, req.update);
      return { type: 'ok', value: loss };
    } catch (e) {
      abortCollective(collective);
      return errorReply(e);
    }
  });
});
