/** Hooks of the kernel-thread test files: the wasm backend before; after, the default thread count and the kernel threads closed. */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { closeKernelThreads, setKernelThreads } from '../../src/node/index.js';

export function onWasmWithKernelThreads(): void {
  before(async () => {
    assert.ok(await tf.setBackend('wasm'));
    await tf.ready();
  });
  after(async () => {
    setKernelThreads(undefined);
    await closeKernelThreads();
  });
}
