/**
 * The ACON-C op as users call it (`ops.aconC`, backward via `tf.grads`) on each backend with a fused
 * kernel, against the plain tfjs op composition of the same formula on the same backend, at
 * x [64,28,28,32], p1/p2 per channel, β per channel (ACON-C) and per sample and channel (Meta-ACON):
 *   composition: d = (p1 − p2)·x; y = d·σ(β·d) + p2·x.
 * Each record carries `ratio` = composition ms / fused ms (≥ 1 means the fused path is no slower).
 * Times include reading the results back (harness convention).
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers' Node bundle registers the core ops' gradients, which tf.grads needs for the composition.
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { ops } from '../src/index.js';
import { timeMedian, type BenchRecord, type BenchSuite } from './harness.js';

const N = 64,
  H = 28,
  W = 28,
  C = 32;
type Fn = (x: tf.Tensor, p1: tf.Tensor, p2: tf.Tensor, beta: tf.Tensor) => tf.Tensor;

const composition: Fn = (x, p1, p2, beta) => {
  const d = tf.mul(tf.sub(p1, p2), x);
  return tf.add(tf.mul(d, tf.sigmoid(tf.mul(beta, d))), tf.mul(p2, x));
};

const suite: BenchSuite = {
  name: 'ops.aconC',
  async run({ quick }) {
    const prev = tf.getBackend() as string | undefined;
    const opts = quick ? { warmup: 2, iters: 5 } : { warmup: 5, iters: 21 };
    const records: BenchRecord[] = [];
    for (const backend of ['cpu', 'wasm']) {
      if (!(await tf.setBackend(backend))) throw new Error(`ops.aconC: backend ${backend} unavailable`);
      await tf.ready();
      const x = tf.randomNormal([N, H, W, C], 0, 2, 'float32', 1);
      const dy = tf.randomNormal([N, H, W, C], 0, 1, 'float32', 2);
      const p1 = tf.randomUniform([C], 0.5, 1.5, 'float32', 3);
      const p2 = tf.randomUniform([C], -0.5, 0.5, 'float32', 4);
      for (const [layout, betaShape] of [
        ['beta[C]', [C]],
        ['beta[N,1,1,C]', [N, 1, 1, C]],
      ] as const) {
        const beta = tf.randomUniform([...betaShape], 0.5, 2, 'float32', 5);
        const impls: [string, Fn][] = [
          ['fused', ops.aconC],
          ['composition', composition],
        ];
        const measured: Record<string, number> = {};
        for (const kase of ['forward', 'forward+backward']) {
          const fns = impls.map(([impl, f]) => {
            const g = tf.grads(f);
            const run = kase === 'forward' ? () => tf.tidy(() => f(x, p1, p2, beta)) : () => g([x, p1, p2, beta], dy);
            return [impl, run] as const;
          });
          for (const [, run] of fns) await timeMedian(run, { warmup: 2, iters: 1 }); // untimed: JIT and heap growth
          for (const [impl, run] of fns) measured[`${kase}/${impl}`] = await timeMedian(run, opts);
          for (const [impl] of fns) {
            records.push({
              suite: suite.name,
              case: kase,
              backend,
              impl,
              shape: [N, H, W, C],
              ms: measured[`${kase}/${impl}`],
              extra: {
                layout,
                path: impl === 'fused' ? ops.aconCPath() : 'composition',
                ratio: +(measured[`${kase}/composition`] / measured[`${kase}/fused`]).toFixed(2),
              },
            });
          }
        }
        beta.dispose();
      }
      tf.dispose([x, dy, p1, p2]);
    }
    if (prev) await tf.setBackend(prev);
    return records;
  },
};

export default suite;
