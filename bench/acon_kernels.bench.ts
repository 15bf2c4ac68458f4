/**
 * The fused ACON-C wasm kernels (WebAssembly SIMD on the tfjs wasm heap) against the plain tfjs op
 * composition of the same formula on the same backend, at x [64,28,28,32] (canonical [64,784,32]),
 * p1/p2 per channel, for β per channel (ACON-C) and per sample and channel (Meta-ACON).
 *   composition: d = (p1 − p2)·x; y = d·σ(β·d) + p2·x; backward by tf.grads.
 *   fused: runKernel AconC (and AconCGrad for forward+backward, which also returns y: one 6.4 MB
 *   read more than the composition, whose tf.grads returns only the gradients).
 * Times include reading the results back (harness convention).
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers' Node bundle registers the core ops' gradients, which tf.grads needs for the composition.
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import { ACON_C, ACON_C_GRAD } from '../src/ops/acon/kernel_names.js';
import { registerAconCWasmKernels } from '../src/ops/acon/wasm.js';
import { timeMedian, type BenchRecord, type BenchSuite } from './harness.js';

const N = 64, H = 28, W = 28, C = 32, S = H * W;

function composition(x: tf.Tensor, p1: tf.Tensor, p2: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const d = tf.mul(tf.sub(p1, p2), x);
  return tf.add(tf.mul(d, tf.sigmoid(tf.mul(beta, d))), tf.mul(p2, x));
}

const suite: BenchSuite = {
  name: 'ops.aconC.kernel',
  async run({ quick }) {
    const prev = tf.getBackend() as string | undefined;
    if (!(await tf.setBackend('wasm'))) throw new Error('ops.aconC.kernel: wasm backend unavailable');
    await tf.ready();
    if (!registerAconCWasmKernels()) throw new Error('ops.aconC.kernel: the SIMD kernel does not compile here');
    const opts = quick ? { warmup: 2, iters: 5 } : { warmup: 5, iters: 25 };
    const records: BenchRecord[] = [];
    const x = tf.randomNormal([N, S, C], 0, 2, 'float32', 1);
    const dy = tf.randomNormal([N, S, C], 0, 1, 'float32', 2);
    const p1 = tf.randomUniform([C], 0.5, 1.5, 'float32', 3);
    const p2 = tf.randomUniform([C], -0.5, 0.5, 'float32', 4);
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => composition(a, b, c, d));
    const layouts = [['beta[1,1,C]', [1, 1, C]], ['beta[N,1,C]', [N, 1, C]]] as const;
    const cases = layouts.map(([layout, betaShape]) => {
      const beta = tf.randomUniform([...betaShape], 0.5, 2, 'float32', 5);
      const fns: [string, string, () => tf.Tensor | tf.Tensor[]][] = [
        ['forward', 'fused', () => tf.engine().runKernel(ACON_C, { x, p1, p2, beta }) as tf.Tensor],
        ['forward', 'composition', () => tf.tidy(() => composition(x, p1, p2, beta))],
        ['forward+backward', 'fused', () => {
          const y = tf.engine().runKernel(ACON_C, { x, p1, p2, beta }) as tf.Tensor;
          const g = tf.engine().runKernel(ACON_C_GRAD, { x, p1, p2, beta, dy }) as tf.Tensor[];
          return [y, ...g];
        }],
        ['forward+backward', 'composition', () => grads([x, p1, p2, beta], dy)],
      ];
      return { layout, beta, fns };
    });
    // One untimed pass over everything first, so the first timed row does not pay for JIT tier-up
    // and the growth of the wasm and JS heaps.
    for (const { fns } of cases) for (const [, , fn] of fns) await timeMedian(fn, { warmup: 0, iters: 3 });
    for (const { layout, beta, fns } of cases) {
      for (const [kase, impl, fn] of fns) {
        records.push({ suite: suite.name, case: kase, backend: 'wasm', impl, shape: [N, H, W, C], ms: await timeMedian(fn, opts),
          extra: { layout, canonical: [N, S, C] } });
      }
      beta.dispose();
    }
    tf.dispose([x, dy, p1, p2]);
    if (prev) await tf.setBackend(prev);
    return records;
  },
};

export default suite;
