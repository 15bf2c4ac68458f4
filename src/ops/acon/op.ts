/**
 * The ACON ops (Ma et al., CVPR 2021, §3): validation, broadcasting and dispatch to the fused
 * kernel of the active backend, or to the generic path where none is registered.
 */
import * as tf from '@tensorflow/tfjs-core';
import { aconCGeneric } from './generic.js';
import { ACON_C, ACON_C_GRAD, type AconGate } from './kernel_names.js';

type TensorInput = tf.Tensor | tf.TensorLike;

/** Options of every ACON op. */
export interface AconOptions {
  /**
   * The switch: `'sigmoid'` (default, the paper's σ) or `'hardSigmoid'`, h(z) = clip(z/6 + 1/2, 0, 1)
   * (suggested by the authors for latency, nmaac/acon#2 and #12).
   */
  gate?: AconGate;
}

const GATES: readonly AconGate[] = ['sigmoid', 'hardSigmoid'];

function gateOf(op: string, options: AconOptions | undefined): AconGate {
  const gate = options?.gate ?? 'sigmoid';
  if (!GATES.includes(gate)) throw new Error(`${op}: gate must be 'sigmoid' or 'hardSigmoid', got '${String(gate)}'`);
  return gate;
}

function toFloatTensor(op: string, name: string, v: TensorInput): tf.Tensor {
  if (v instanceof tf.Tensor) {
    if (v.dtype !== 'float32') throw new TypeError(`${op}: ${name} must be float32 but has dtype ${v.dtype} (shape [${v.shape}])`);
    if (v.isDisposed) throw new Error(`${op}: ${name} has been disposed`);
    return v;
  }
  if (typeof v === 'number' || Array.isArray(v) || ArrayBuffer.isView(v)) {
    if (v instanceof Int32Array || v instanceof Uint8Array)
      throw new TypeError(`${op}: ${name} must be float32 data but is a ${v.constructor.name}`);
    return tf.tensor(v as tf.TensorLike, undefined, 'float32');
  }
  throw new TypeError(`${op}: ${name} must be a tf.Tensor or numeric array, got ${typeof v}`);
}

const fmt = (shape: number[]) => `[${shape.join(',')}]`;

/** Checks a per-channel parameter (`[C]`, `[1]`, or the same with leading 1s) and returns it flat. */
function channelParam(op: string, name: string, p: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const C = x.shape[x.rank - 1];
  const leadingOnes = p.shape.slice(0, -1).every((d) => d === 1);
  if (p.rank === 0) return tf.reshape(p, [1]);
  if (p.rank > x.rank || !leadingOnes || (p.size !== 1 && p.size !== C)) {
    throw new Error(
      `${op}: ${name} has shape ${fmt(p.shape)} but x has ${C} channels (x shape ${fmt(x.shape)}); ` + `expected [${C}] or [1]`,
    );
  }
  return tf.reshape(p, [p.size]);
}

/**
 * Brings β into the kernel layout `[Nb, Sb, Cb]` (each 1 or x's size). β may be any shape
 * broadcastable to x; shapes that broadcast only part of the spatial axes are materialised.
 */
function canonicalBeta(op: string, beta: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const r = x.rank;
  if (beta.rank > r)
    throw new Error(`${op}: beta has rank ${beta.rank} (shape ${fmt(beta.shape)}) but x has rank ${r} (shape ${fmt(x.shape)})`);
  const b = [...new Array(r - beta.rank).fill(1), ...beta.shape];
  b.forEach((d, i) => {
    if (d !== 1 && d !== x.shape[i]) {
      throw new Error(
        `${op}: beta of shape ${fmt(beta.shape)} is not broadcastable to x of shape ${fmt(x.shape)} ` +
          `(axis ${i - (r - beta.rank)} of beta has ${d}, x has ${x.shape[i]}); use [C], [1], [N,1,…,1,C], [N,1,…,1] or x's shape`,
      );
    }
  });
  const [N, C] = [x.shape[0], x.shape[r - 1]];
  const spatial = x.shape.slice(1, r - 1),
    bSpatial = b.slice(1, r - 1);
  const S = spatial.reduce((a, d) => a * d, 1);
  if (bSpatial.every((d) => d === 1)) return tf.reshape(beta, [b[0], 1, b[r - 1]]);
  if (bSpatial.every((d, i) => d === spatial[i])) return tf.reshape(beta, [b[0], S, b[r - 1]]);
  return tf.reshape(tf.broadcastTo(tf.reshape(beta, b), x.shape), [N, S, C]);
}

function hasFusedKernel(): boolean {
  const backend = tf.getBackend();
  return tf.getKernel(ACON_C, backend) !== undefined && tf.getKernel(ACON_C_GRAD, backend) !== undefined;
}

/** Which path `aconC` takes on the active backend: the registered fused kernel or the generic composition. */
export function aconCPath(): 'fused' | 'generic' {
  return hasFusedKernel() ? 'fused' : 'generic';
}

function aconCImpl(
  op: string,
  xIn: TensorInput,
  p1In: TensorInput,
  p2In: TensorInput,
  betaIn: TensorInput,
  names: [string, string],
  options: AconOptions | undefined,
): tf.Tensor {
  const gate = gateOf(op, options);
  return tf.tidy(() => {
    const x = toFloatTensor(op, 'x', xIn);
    if (x.rank < 2)
      throw new Error(`${op}: x must have rank >= 2 ([N,C], [N,L,C] or [N,H,W,C], channels last) but has shape ${fmt(x.shape)}`);
    const p1 = channelParam(op, names[0], toFloatTensor(op, names[0], p1In), x);
    const p2 = channelParam(op, names[1], toFloatTensor(op, names[1], p2In), x);
    const Cp = Math.max(p1.size, p2.size);
    const beta = canonicalBeta(op, toFloatTensor(op, 'beta', betaIn), x);
    const C = x.shape[x.rank - 1];
    const S = x.shape.slice(1, -1).reduce((a, d) => a * d, 1);
    const x3 = tf.reshape(x, [x.shape[0], S, C]);
    const [q1, q2] = [p1.size === Cp ? p1 : tf.broadcastTo(p1, [Cp]), p2.size === Cp ? p2 : tf.broadcastTo(p2, [Cp])];
    const y3 = hasFusedKernel()
      ? (tf.engine().runKernel(ACON_C, { x: x3, p1: q1, p2: q2, beta }, { gate }) as tf.Tensor)
      : aconCGeneric(x3, q1, q2, beta, gate);
    return tf.reshape(y3, x.shape);
  });
}

/**
 * ACON-C (paper eq. 5): f(x) = (p1 − p2)·x·σ(β(p1 − p2)x) + p2·x, channels last.
 * @param x float32 of rank ≥ 2: `[N,C]`, `[N,L,C]`, `[N,H,W,C]`, …
 * @param p1 `[C]` or `[1]`
 * @param p2 `[C]` or `[1]`
 * @param beta broadcastable to x: `[C]`/`[1]` (per channel / per layer), `[N,1,…,1,C]` (Meta-ACON,
 *   per sample and channel), `[N,1,…,1]` (per sample), or x's shape (per pixel). Any sign.
 * @param options `gate`: `'sigmoid'` (default) or `'hardSigmoid'` (σ replaced by clip(z/6 + 1/2, 0, 1)).
 */
export function aconC(x: TensorInput, p1: TensorInput, p2: TensorInput, beta: TensorInput, options?: AconOptions): tf.Tensor {
  return aconCImpl('aconC', x, p1, p2, beta, ['p1', 'p2'], options);
}

/** ACON-A (paper eq. 3, Swish with learnable β): f(x) = x·σ(βx). */
export function aconA(x: TensorInput, beta: TensorInput, options?: AconOptions): tf.Tensor {
  return tf.tidy(() => aconCImpl('aconA', x, tf.ones([1]), tf.zeros([1]), beta, ['p1', 'p2'], options));
}

/** ACON-B (paper eq. 4, smooth PReLU): f(x) = (1 − p)·x·σ(β(1 − p)x) + p·x, p `[C]` or `[1]`. */
export function aconB(x: TensorInput, p: TensorInput, beta: TensorInput, options?: AconOptions): tf.Tensor {
  return tf.tidy(() => aconCImpl('aconB', x, tf.ones([1]), p, beta, ['p1', 'p'], options));
}
