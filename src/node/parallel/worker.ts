/**
 * Entry point of a replica worker: takes its step channel from the first message, then serves
 * requests on it until it is terminated: `init` (build a replica, again for every trainer that
 * reuses the worker), `step` and `evaluate`.
 */
import { parentPort } from 'node:worker_threads';
import { withCrossReplicaReducer } from '../../layers/cross_replica.js';
import { initNodeBackend } from '../backend.js';
import { abortCollective, SharedMemoryReducer } from './collective.js';
import { evaluateBatch, type EvalSums } from './evaluate.js';
import { buildModel } from './model_spec.js';
import type { ChannelRequest, EvaluateRequest, InitRequest, InitResult, LogLine, Reply, StepRequest } from './protocol.js';
import { Replica } from './replica.js';
import { applyUpdateSlice } from './sharding.js';
import { serveStepChannel } from './step_channel.js';

const port = parentPort;
if (!port) throw new Error('acon: parallel/worker.js must run in a worker thread');
const post = (message: LogLine) => port.postMessage(message);

function errorReply(e: unknown): Reply<never> {
  const err = e instanceof Error ? e : new Error(String(e));
  return { type: 'error', message: err.message, stack: err.stack };
}

/** The replica of the current trainer, with that trainer's shared memory. */
let current: { replica: Replica; init: InitRequest } | undefined;
let backend: { requested: InitRequest['backend']; active: string } | undefined;

// A replica that stops mid-step (process.exit in a layer) must not leave the others at a barrier.
process.on('exit', () => {
  if (current) abortCollective(current.init.collective);
});

async function init(req: InitRequest): Promise<Reply<InitResult>> {
  try {
    current?.replica.model.dispose();
    current = undefined;
    if (!backend || backend.requested !== req.backend) {
      const active = await initNodeBackend({ backend: req.backend, log: (message) => post({ type: 'log', message }) });
      backend = { requested: req.backend, active };
    }
    const replica = new Replica(await buildModel(req.model), req.loss);
    current = { replica, init: req };
    return { type: 'ok', value: { backend: backend.active, layout: replica.layout } };
  } catch (e) {
    return errorReply(e);
  }
}

function step(req: StepRequest): Reply<number> {
  const { replica, init } = current!;
  const { buffers, collective } = init;
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
}

function evaluate(req: EvaluateRequest): Reply<EvalSums[]> {
  const { replica, init } = current!;
  try {
    replica.load(init.buffers.params, init.buffers.state);
    return { type: 'ok', value: req.batches.map((b) => evaluateBatch(replica.model, replica.inputShape, b)) };
  } catch (e) {
    return errorReply(e);
  }
}

port.once('message', (message: ChannelRequest) => {
  void serveStepChannel<InitRequest | StepRequest | EvaluateRequest, Reply<unknown>>(message.steps, (req) => {
    if (req.type === 'init') return init(req);
    if (!current) return errorReply(new Error(`acon: '${req.type}' request before a successful init`));
    return req.type === 'step' ? step(req) : evaluate(req);
  });
});
