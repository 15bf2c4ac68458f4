/**
 * The browser test page: `window.aconTests.run(backend)` runs one backend's tests (suites.ts) and
 * resolves with their results; the Node driver (test/browser/run.ts) calls it once per page.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { ops } from '../../../src/index.js';
import type { GoldenCase } from '../../helpers/golden_data.js';
import { runTests, type TestResult } from './runner.js';
import { backendTests } from './suites.js';

setWasmPaths('/tfjs-wasm/');

async function loadGolden(): Promise<GoldenCase[] | undefined> {
  const res = await fetch('/shared/golden/golden.json');
  return res.ok ? ((await res.json()).cases as GoldenCase[]) : undefined;
}

/** Why a backend cannot run here, or undefined when it is active. */
async function activate(backend: string): Promise<string | undefined> {
  if (backend === 'webgpu') {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    if (!gpu) return 'navigator.gpu is undefined (WebGPU not enabled in this browser)';
    if (!(await gpu.requestAdapter())) return 'navigator.gpu.requestAdapter() returned null (no WebGPU adapter)';
  }
  if (backend === 'wasm') await ops.initAconWasm();
  try {
    if (!(await tf.setBackend(backend))) return `tf.setBackend('${backend}') failed`;
  } catch (e) {
    return `tf.setBackend('${backend}') threw: ${(e as Error).message}`;
  }
  await tf.ready();
  return undefined;
}

async function run(backend: string): Promise<{ skipped?: string; results: TestResult[]; info: string }> {
  const skipped = await activate(backend);
  if (skipped) return { skipped, results: [], info: '' };
  const info =
    backend === 'webgl'
      ? `WebGL ${tf.env().getNumber('WEBGL_VERSION')}, float32 render ${tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')}, packing ${tf.env().getBool('WEBGL_PACK')}`
      : backend === 'wasm'
        ? `crossOriginIsolated ${crossOriginIsolated}`
        : '';
  return { results: await runTests(backend, backendTests(backend, await loadGolden())), info };
}

(window as unknown as { aconTests: unknown }).aconTests = { run };
