/**
 * The browser benchmark page: `window.aconBench.run(backend, shapes, rounds)` times the fused
 * AconC kernels against the composition of the same formula (the generic path: plain tfjs ops in a
 * customGrad, `src/ops/acon/generic.ts`), forward and forward+backward, alternating the two in
 * every round so both see the same machine load.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { ops } from '../../../src/index.js';
import { aconCGeneric } from '../../../src/ops/acon/generic.js';
import { ACON_C } from '../../../src/ops/acon/kernel_names.js';

type Variant = 'fused' | 'composed';
type Tensors = [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];

function fused(x: tf.Tensor, p1: tf.Tensor, p2: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel(ACON_C, { x, p1, p2, beta }) as tf.Tensor;
}

const forwardOf: Record<Variant, (...t: Tensors) => tf.Tensor> = { fused, composed: aconCGeneric };

/** Waits for the GPU queue: reading one element after the work forces everything before it to finish. */
async function sync(ts: tf.Tensor[]): Promise<void> {
  const probes = ts.map((t) => tf.slice(tf.reshape(t, [-1]), [0], [1]));
  await Promise.all(probes.map((p) => p.data()));
  tf.dispose(probes);
}

async function timeOnce(variant: Variant, pass: 'forward' | 'forward+backward', inputs: Tensors, dy: tf.Tensor): Promise<number> {
  const f = forwardOf[variant];
  const t0 = performance.now();
  const outs = pass === 'forward' ? [f(...inputs)] : tf.grads((...a: tf.Tensor[]) => f(...(a as Tensors)))(inputs, dy);
  await sync(outs);
  const ms = performance.now() - t0;
  tf.dispose(outs);
  return ms;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function gpuName(backend: string): Promise<string> {
  if (backend === 'webgl') {
    const gl = document.createElement('canvas').getContext('webgl2');
    const ext = gl?.getExtension('WEBGL_debug_renderer_info');
    return gl && ext ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : 'unknown';
  }
  const adapter = await (
    navigator as unknown as { gpu: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } }
  ).gpu.requestAdapter();
  const info = adapter?.info ?? {};
  return `${info.vendor ?? '?'} ${info.architecture ?? '?'} ${info.description ?? ''}`.trim();
}

async function run(backend: string, shapes: number[][], rounds: number) {
  if (backend === 'webgpu' && !('gpu' in navigator)) return { backend, skipped: 'navigator.gpu is undefined' };
  if (!(await tf.setBackend(backend))) return { backend, skipped: `tf.setBackend('${backend}') failed` };
  await tf.ready();
  if (ops.aconCPath() !== 'fused') throw new Error(`${backend}: aconCPath() is ${ops.aconCPath()}, not fused`);
  const results = [];
  for (const shape of shapes) {
    const [N, H, W, C] = shape;
    const inputs: Tensors = [
      tf.randomNormal([N, H * W, C]),
      tf.randomNormal([C]),
      tf.randomNormal([C]),
      tf.add(tf.randomUniform([1, 1, C]), 0.5), // canonical β layout [Nb, Sb, Cb]
    ];
    const dy = tf.randomNormal([N, H * W, C]);
    for (const pass of ['forward', 'forward+backward'] as const) {
      const ms: Record<Variant, number[]> = { fused: [], composed: [] };
      for (const v of ['fused', 'composed'] as const) await timeOnce(v, pass, inputs, dy); // compile the shaders
      for (let r = 0; r < rounds; r++) for (const v of ['fused', 'composed'] as const) ms[v].push(await timeOnce(v, pass, inputs, dy));
      const ratios = ms.fused.map((f, i) => ms.composed[i] / f);
      results.push({
        shape,
        pass,
        fusedMs: median(ms.fused),
        composedMs: median(ms.composed),
        speedup: median(ratios),
        perRoundSpeedup: ratios,
      });
    }
    tf.dispose([...inputs, dy]);
  }
  return { backend, gpu: await gpuName(backend), rounds, results };
}

(window as unknown as { aconBench: unknown }).aconBench = { run };
