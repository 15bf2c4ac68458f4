/**
 * One PyTorch golden case (official nmaac/acon modules) through the public layers and through the
 * op, on the active backend: outputs, every gradient, BatchNorm buffers, no leaked tensor. Shared
 * by the Node golden test and the browser tests (no `node:` imports; reads with `await data()`,
 * which every backend supports, webgpu included).
 */
import * as tf from '@tensorflow/tfjs-core';
import { AconA, AconB, AconC, MetaAconC, ops } from '../../src/index.js';
import { TORCH_WEIGHT_ORDER, layerWeightsFromTorch, torchToLayerTensor, type PlainTensor } from '../../src/interop/state_dict.js';
import { assertClose, check, checkShape } from './assert_close.js';
import { toNhwc, type GoldenCase } from './golden_data.js';

/** Relative tolerance of a backend's float32 arithmetic: 1e-5 on cpu and wasm; GPU backends state theirs. */
export interface GoldenTolerance {
  rtol: number;
}

export const FLOAT32_TOLERANCE: GoldenTolerance = { rtol: 1e-5 };

function nhwcTensor(t: PlainTensor): tf.Tensor {
  const { shape, data } = toNhwc(t);
  return tf.tensor(data, shape, 'float32');
}

function makeLayer(c: GoldenCase): AconA | AconB | AconC | MetaAconC {
  switch (c.module) {
    case 'AconA':
      return new AconA();
    case 'AconB':
      return new AconB();
    case 'AconC':
      return new AconC();
    case 'MetaAconC':
      return new MetaAconC({ r: c.init_args.r });
  }
}

/** Tolerance for a gradient summed over `terms` elements: float32 accumulation grows like √terms. */
const sumTolerance = (tol: GoldenTolerance, terms: number) => ({ rtol: tol.rtol, atolRel: tol.rtol * Math.max(1, Math.sqrt(terms)) });

export async function checkLayerCase(c: GoldenCase, tol: GoldenTolerance = FLOAT32_TOLERANCE): Promise<void> {
  const training = c.mode === 'train';
  const layer = makeLayer(c);
  const x = nhwcTensor(c.x);
  const g = nhwcTensor(c.g);
  layer.build(x.shape);
  const stateDict = { ...c.params, ...(c.buffers as Record<string, PlainTensor> | undefined) };
  const weights = layerWeightsFromTorch(c.module, stateDict);
  layer.setWeights(weights);
  tf.dispose(weights);
  const tensorsBefore = tf.memory().numTensors;

  const xv = tf.variable(x, true, `x_${c.name}_${tf.getBackend()}_${Math.random().toString(36).slice(2)}`);
  const vars = layer.trainableWeights.map((w: { read(): tf.Tensor }) => w.read() as tf.Variable);
  let y: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    y = tf.keep(layer.apply(xv, { training }) as tf.Tensor);
    return tf.sum(tf.mul(y, g)) as tf.Scalar;
  }, [xv, ...vars]);

  const yExpected = toNhwc(c.y);
  checkShape(y!.shape, yExpected.shape, `${c.name}: y`);
  assertClose(await y!.data(), yExpected.data, `${c.name} y`, { rtol: tol.rtol, atolRel: tol.rtol });
  assertClose(await grads[xv.name].data(), toNhwc(c.grads.x).data, `${c.name} dL/dx`, { rtol: tol.rtol, atolRel: tol.rtol });
  const keys = TORCH_WEIGHT_ORDER[c.module].slice(0, vars.length);
  const terms = c.x.data.length / c.init_args.width;
  // Gradients that pass through a training-mode BatchNorm are differences of much larger terms
  // (the bias before BN has gradient 0 exactly), so their error scales with the case's largest gradient.
  const gradScale = Math.max(...Object.values(c.grads).map((t) => Math.max(...Array.from(t.data, Math.abs))));
  const bnAtol = training && c.module === 'MetaAconC' ? (tol.rtol / 10) * gradScale : 0;
  for (const [i, key] of keys.entries()) {
    const expected = torchToLayerTensor(key, c.grads[key]);
    checkShape(grads[vars[i].name].shape, expected.shape, `${c.name}: dL/d${key}`);
    assertClose(await grads[vars[i].name].data(), await expected.data(), `${c.name} dL/d${key}`, {
      ...sumTolerance(tol, terms),
      atol: bnAtol,
    });
    expected.dispose();
  }
  if (c.module === 'MetaAconC') {
    const after = (training ? c.buffers_after : c.buffers) as Record<string, PlainTensor>;
    const stats = layer.getWeights().slice(vars.length);
    for (const [i, key] of TORCH_WEIGHT_ORDER.MetaAconC.slice(vars.length).entries()) {
      assertClose(await stats[i].data(), after[key].data, `${c.name} ${key} after the forward`, { rtol: tol.rtol, atolRel: tol.rtol });
    }
  }
  tf.dispose([xv, y!, value, ...Object.values(grads)]);
  check(
    tf.memory().numTensors === tensorsBefore,
    `${c.name}: ${tf.memory().numTensors - tensorsBefore} tensors leaked by forward + backward`,
  );
  tf.dispose([x, g]);
  for (const w of layer.weights) w.dispose();
}

/** The op alone, with the parameters as plain tensors (for MetaAconC: the generated β from the golden intermediates). */
export async function checkOpCase(c: GoldenCase, tol: GoldenTolerance = FLOAT32_TOLERANCE): Promise<void> {
  const close = { rtol: tol.rtol, atolRel: tol.rtol };
  const x = nhwcTensor(c.x),
    g = nhwcTensor(c.g);
  const flat = (k: string) => tf.tensor1d(Float32Array.from(c.params[k].data));
  const yExpected = toNhwc(c.y).data;
  if (c.module === 'MetaAconC') {
    const beta = nhwcTensor((c as unknown as { intermediates: { beta: PlainTensor } }).intermediates.beta);
    const y = ops.aconC(x, flat('p1'), flat('p2'), beta);
    assertClose(await y.data(), yExpected, `${c.name} op y with per-sample beta`, close);
    tf.dispose([x, g, beta, y]);
    return;
  }
  const names = c.module === 'AconA' ? ['beta'] : c.module === 'AconB' ? ['p', 'beta'] : ['p1', 'p2', 'beta'];
  const params = names.map(flat);
  const f = (xx: tf.Tensor, ...ps: tf.Tensor[]) =>
    c.module === 'AconA' ? ops.aconA(xx, ps[0]) : c.module === 'AconB' ? ops.aconB(xx, ps[0], ps[1]) : ops.aconC(xx, ps[0], ps[1], ps[2]);
  const y = f(x, ...params);
  assertClose(await y.data(), yExpected, `${c.name} op y`, close);
  const gr = tf.grads((xx: tf.Tensor, ...ps: tf.Tensor[]) => tf.sum(tf.mul(f(xx, ...ps), g)))([x, ...params]);
  assertClose(await gr[0].data(), toNhwc(c.grads.x).data, `${c.name} op dL/dx`, close);
  const terms = c.x.data.length / c.init_args.width;
  for (const [i, n] of names.entries()) {
    assertClose(await gr[i + 1].data(), c.grads[n].data, `${c.name} op dL/d${n}`, sumTolerance(tol, terms));
  }
  tf.dispose([x, g, y, ...params, ...gr]);
}
