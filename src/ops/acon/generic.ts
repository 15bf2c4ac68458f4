/**
 * Backend-independent ACON-C: plain tfjs ops wrapped in `customGrad`, for backends without a
 * fused kernel (tfjs-node, webgl, webgpu). The forward saves only x and the parameters; the
 * backward recomputes σ and returns the closed-form gradients of `kernel_names.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Past |z| = 80, σ(z)·σ(−z) is below float32's smallest normal, so clipping z changes nothing. */
const Z_LIMIT = 80;
const F32_MAX = 3.4028234663852886e38;

/** Shared pieces of forward and backward: z (clipped), s = σ(z), t = σ(−z). */
function switches(x: tf.Tensor, p1: tf.Tensor, p2: tf.Tensor, beta: tf.Tensor) {
  const z = tf.clipByValue(tf.mul(tf.mul(beta, tf.sub(p1, p2)), x), -Z_LIMIT, Z_LIMIT);
  return { z, s: tf.sigmoid(z), t: tf.sigmoid(tf.neg(z)) };
}

/** Sums `grad` (shaped like x) down to `shape`, a shape broadcastable to x of the same rank. */
function reduceTo(grad: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = shape.flatMap((d, i) => (d === 1 && grad.shape[i] !== 1 ? [i] : []));
  return tf.reshape(axes.length ? tf.sum(grad, axes, true) : grad, shape);
}

/**
 * ACON-C on canonical tensors: x `[N,S,C]`, p1/p2 `[Cp]`, β `[Nb,Sb,Cb]`.
 * y = x·(p1·σ(z) + p2·σ(−z)), z = β(p1 − p2)x, which never multiplies an overflowed value by 0.
 */
export const aconCGeneric = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, p1, p2, beta] = args as tf.Tensor[];
  (args[4] as tf.GradSaveFunc)([x, p1, p2, beta]);
  const { s, t } = switches(x, p1, p2, beta);
  const value = tf.mul(x, tf.add(tf.mul(p1, s), tf.mul(p2, t)));
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
    const [xs, p1s, p2s, bs] = saved;
    const g = switches(xs, p1s, p2s, bs);
    const st = tf.mul(g.s, g.t);
    const zst = tf.mul(g.z, st);
    const k = tf.add(g.s, zst),
      k2 = tf.sub(g.t, zst);
    const d = tf.clipByValue(tf.mul(tf.sub(p1s, p2s), xs), -F32_MAX, F32_MAX);
    const dyx = tf.mul(dy, xs);
    const pShape = [1, 1, p1s.shape[0]];
    return [
      tf.mul(dy, tf.add(tf.mul(p1s, k), tf.mul(p2s, k2))),
      tf.reshape(reduceTo(tf.mul(dyx, k), pShape), p1s.shape),
      tf.reshape(reduceTo(tf.mul(dyx, k2), pShape), p2s.shape),
      reduceTo(tf.mul(dy, tf.mul(d, tf.mul(d, st))), bs.shape),
    ];
  };
  return { value, gradFunc };
}) as (x: tf.Tensor, p1: tf.Tensor, p2: tf.Tensor, beta: tf.Tensor) => tf.Tensor;
