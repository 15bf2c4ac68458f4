import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { createCollectiveBuffers, SharedMemoryReducer } from '../../src/node/parallel/collective.js';
import { createStepChannel, StepChannelClient } from '../../src/node/parallel/step_channel.js';

/** A worker serving the channel with `reply = { echo: request, square: request.k² }`, slowly when request.sleepMs is set. */
function echoWorker() {
  const channel = createStepChannel();
  const serve = new URL('../../src/node/parallel/step_channel.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = `
    import { register } from ${JSON.stringify(tsx)};
    import { workerData } from 'node:worker_threads';
    register();
    const { serveStepChannel } = await import(${JSON.stringify(serve)});
    serveStepChannel(workerData, (req) => {
      if (req.sleepMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, req.sleepMs);
      return { echo: req, square: req.k * req.k };
    });`;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`), {
    workerData: channel.worker,
    transferList: [channel.worker.port],
  });
  return {
    worker,
    client: new StepChannelClient<
      { k: number; data?: Float32Array; sleepMs?: number },
      { echo: { k: number; data?: Float32Array }; square: number }
    >(channel.coordinator),
  };
}

describe('step channel', () => {
  test('requests get their replies in order, synchronously; shared views stay shared', async () => {
    const { worker, client } = echoWorker();
    assert.throws(() => client.receiveSync(1), /no request is pending/);
    const data = new Float32Array(new SharedArrayBuffer(16));
    for (let k = 1; k <= 50; k++) {
      data[0] = k;
      client.send({ k, data });
      const reply = client.receiveSync(10_000);
      assert.ok(reply, `reply ${k}`);
      assert.equal(reply.square, k * k);
      assert.equal(reply.echo.data![0], k);
      reply.echo.data![1] = k; // the worker's copy of the message views the same memory
      assert.equal(data[1], k);
    }
    assert.throws(() => {
      client.send({ k: 1, sleepMs: 1 });
      client.send({ k: 2 });
    }, /a request is already pending/);
    assert.ok(client.receiveSync(10_000));
    await worker.terminate();
  });

  test('receiveSync gives up after its timeout; receive() waits without blocking, and stops when told to give up', async () => {
    const { worker, client } = echoWorker();
    client.send({ k: 3, sleepMs: 300 });
    const t0 = performance.now();
    assert.equal(client.receiveSync(20), undefined);
    assert.ok(performance.now() - t0 < 250);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const reply = await client.receive(() => undefined);
    clearInterval(timer);
    assert.equal(reply.square, 9);
    assert.ok(ticks > 5, `the event loop ran while waiting (${ticks} ticks)`);

    client.send({ k: 4, sleepMs: 5_000 });
    let reason: Error | undefined;
    setTimeout(() => {
      reason = new Error('worker gone');
      client.wake();
    }, 20);
    const t1 = performance.now();
    await assert.rejects(
      client.receive(() => reason),
      /worker gone/,
    );
    assert.ok(performance.now() - t1 < 150, 'wake() makes it give up at once, not at the next poll');
    await worker.terminate();
  });

  test('the calling thread gives up at a barrier after its patience', () => {
    const reducer = new SharedMemoryReducer(createCollectiveBuffers(2, 4), 0, 2, 0.5, 30);
    assert.throws(() => reducer.allReduce([1, 2]), /replica 0 waited 0.03 s at a barrier for the other replicas; did a worker crash\?/);
  });
});
