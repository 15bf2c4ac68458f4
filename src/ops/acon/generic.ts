/**
 * Backend-independent ACON-C: plain tfjs ops wrapped in `customGrad`, for backends without a
 * fused kernel (tfjs-node, webgl, webgpu). The forward saves only x and the parameters; the
 * backward recomputes the gate and returns the closed-form gradients of `kernel_names.ts`, with
 * its non-finite rules: NaN in, NaN out; a NaN product of an exact zero with an infinity is its
 * limit 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AconGate } from './kernel_names.js';

/**
 * Past |z| = 104, σ(−|z|) < 2^−150 rounds to exactly 0 in float32 (and h(±z) is 0 or 1), so
 * clipping z changes nothing and keeps z·g′(z) from being ∞·0.
 */
const Z_LIMIT = 104;
const F32_MAX = 3.4028234663852886e38;

/** v with its NaN entries (0·∞ products) replaced by their limit 0, plus `poison` (NaN where an input is NaN, else 0). */
function limit(v: tf.Tensor, poison: tf.Tensor): tf.Tensor {
  return tf.add(tf.where(tf.isNaN(v), tf.zerosLike(v), v), poison);
}

/** NaN where any of `ts` (broadcast to x's shape) is NaN, 0 elsewhere. */
function nanPoison(x: tf.Tensor, ts: tf.Tensor[]): tf.Tensor {
  const any = ts.map((t) => tf.isNaN(t)).reduce((a, b) => tf.logicalOr(a, b));
  return tf.where(tf.broadcastTo(any, x.shape), tf.fill(x.shape, NaN), tf.zerosLike(x));
}

/** Shared pieces of forward and backward: z (0·∞ → 0, clipped), s = g(z), t = g(−z), g′(z). */
function switches(x: tf.Tensor, p1: tf.Tensor, p2: tf.Tensor, beta: tf.Tensor, gate: AconGate) {
  const raw = tf.mul(tf.mul(beta, tf.sub(p1, p2)), x);
  const z = tf.clipByValue(tf.where(tf.isNaN(raw), tf.zerosLike(raw), raw), -Z_LIMIT, Z_LIMIT);
  if (gate === 'hardSigmoid') {
    const u = tf.div(z, 6);
    const slope = tf.mul(tf.cast(tf.less(tf.abs(z), 3), 'float32'), 1 / 6);
    return { z, s: tf.clipByValue(tf.add(u, 0.5), 0, 1), t: tf.clipByValue(tf.sub(0.5, u), 0, 1), slope };
  }
  const s = tf.sigmoid(z),
    t = tf.sigmoid(tf.neg(z));
  return { z, s, t, slope: tf.mul(s, t) };
}

/** Sums `grad` (shaped like x) down to `shape`, a shape broadcastable to x of the same rank. */
function reduceTo(grad: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = shape.flatMap((d, i) => (d === 1 && grad.shape[i] !== 1 ? [i] : []));
  return tf.reshape(axes.length ? tf.sum(grad, axes, true) : grad, shape);
}

function genericFor(gate: AconGate) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, p1, p2, beta] = args as tf.Tensor[];
    (args[4] as tf.GradSaveFunc)([x, p1, p2, beta]);
    const { s, t } = switches(x, p1, p2, beta, gate);
    const value = limit(tf.mul(x, tf.add(tf.mul(p1, s), tf.mul(p2, t))), nanPoison(x, [x, p1, p2, beta]));
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, p1s, p2s, bs] = saved;
      const poison = nanPoison(xs, [xs, p1s, p2s, bs, dy]);
      const g = switches(xs, p1s, p2s, bs, gate);
      const zs = tf.mul(g.z, g.slope);
      const k = tf.add(g.s, zs),
        k2 = tf.sub(g.t, zs);
      const d = tf.clipByValue(tf.mul(tf.sub(p1s, p2s), xs), -F32_MAX, F32_MAX);
      const pShape = [1, 1, p1s.shape[0]];
      return [
        limit(tf.mul(dy, tf.add(tf.mul(p1s, k), tf.mul(p2s, k2))), poison),
        tf.reshape(reduceTo(limit(tf.mul(tf.mul(dy, xs), k), poison), pShape), p1s.shape),
        tf.reshape(reduceTo(limit(tf.mul(tf.mul(dy, xs), k2), poison), pShape), p2s.shape),
        reduceTo(limit(tf.mul(dy, tf.mul(d, tf.mul(d, g.slope))), poison), bs.shape),
      ];
    };
    return { value, gradFunc };
  }) as (x: tf.Tensor, p1: tf.Tensor, p2: tf.Tensor, beta: tf.Tensor) => tf.Tensor;
}

const generic = { sigmoid: genericFor('sigmoid'), hardSigmoid: genericFor('hardSigmoid') };

/**
 * ACON-C on canonical tensors: x `[N,S,C]`, p1/p2 `[Cp]`, β `[Nb,Sb,Cb]`.
 * y = x·(p1·g(z) + p2·g(−z)), z = β(p1 − p2)x, g = σ or the hard sigmoid.
 */
export function aconCGeneric(x: tf.Tensor, p1: tf.Tensor, p2: tf.Tensor, beta: tf.Tensor, gate: AconGate = 'sigmoid'): tf.Tensor {
  return generic[gate](x, p1, p2, beta);
}
