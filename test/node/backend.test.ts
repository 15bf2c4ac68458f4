import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_ENV, initNodeBackend, resolveBackendName } from '../../src/node/backend.js';

describe('resolveBackendName', () => {
  test('defaults to wasm; ACON_BACKEND overrides the default; the option overrides ACON_BACKEND', () => {
    assert.deepEqual(resolveBackendName(undefined, {}), { name: 'wasm', source: 'default' });
    assert.deepEqual(resolveBackendName(undefined, { ACON_BACKEND: '' }), { name: 'wasm', source: 'default' });
    assert.deepEqual(resolveBackendName(undefined, { ACON_BACKEND: 'cpu' }), { name: 'cpu', source: 'ACON_BACKEND' });
    assert.deepEqual(resolveBackendName('wasm', { ACON_BACKEND: 'cpu' }), { name: 'wasm', source: 'option' });
  });

  test('an invalid name is rejected with its source and the valid values', () => {
    assert.throws(() => resolveBackendName(undefined, { ACON_BACKEND: 'webgl' }), {
      message: "acon: invalid backend 'webgl' from the ACON_BACKEND environment variable; valid values: wasm, cpu",
    });
    assert.throws(
      () => resolveBackendName('tensorflow', {}),
      /invalid backend 'tensorflow' from the --backend flag .*valid values: wasm, cpu/,
    );
  });
});

describe('initNodeBackend', () => {
  const saved = process.env[BACKEND_ENV];
  after(() => {
    if (saved === undefined) delete process.env[BACKEND_ENV];
    else process.env[BACKEND_ENV] = saved;
  });

  test('honours ACON_BACKEND and logs the choice', async () => {
    process.env[BACKEND_ENV] = 'cpu';
    const lines: string[] = [];
    assert.equal(await initNodeBackend({ log: (m) => lines.push(m) }), 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.match(lines.join('\n'), /^acon: backend cpu \(from ACON_BACKEND; fast training kernels (registered|not available)\)$/);
  });

  test('the option overrides ACON_BACKEND; wasm initialises', async () => {
    process.env[BACKEND_ENV] = 'cpu';
    const lines: string[] = [];
    assert.equal(await initNodeBackend({ backend: 'wasm', log: (m) => lines.push(m) }), 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.match(lines[0], /^acon: backend wasm \(requested;/);
  });

  test('rejects an invalid ACON_BACKEND with a clear message', async () => {
    process.env[BACKEND_ENV] = 'gpu';
    await assert.rejects(
      initNodeBackend({ log: () => {} }),
      /invalid backend 'gpu' from the ACON_BACKEND environment variable; valid values: wasm, cpu/,
    );
  });

  test('falls back to cpu, saying why, when wasm cannot initialise', async () => {
    // A fresh process whose wasm binary path is broken before the backend first initialises.
    const backendUrl = new URL('../../src/node/backend.ts', import.meta.url).href;
    const script = `
      import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
      setWasmPaths('/nonexistent/');
      const { initNodeBackend } = await import(${JSON.stringify(backendUrl)});
      const lines = [];
      const name = await initNodeBackend({ log: (m) => lines.push(m) });
      console.log(JSON.stringify({ name, lines }));`;
    const env = { ...process.env };
    delete env[BACKEND_ENV];
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script],
      { env },
    );
    const { name, lines } = JSON.parse(stdout.trim().split('\n').pop()!) as { name: string; lines: string[] };
    assert.equal(name, 'cpu');
    assert.match(
      lines[0],
      /^acon: backend cpu \(default; fell back from wasm: tf\.setBackend\('wasm'\) failed; tfjs logged the cause above;/,
    );
  });
});
