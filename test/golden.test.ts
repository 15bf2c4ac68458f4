/**
 * Every PyTorch golden case (../shared/golden/golden.json, official nmaac/acon modules) through the
 * public layers and the op, on each backend: outputs, all gradients, BatchNorm buffers.
 */
import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { AconA, AconB, AconC, MetaAconC, ops } from '../src/index.js';
import { TORCH_WEIGHT_ORDER, layerWeightsFromTorch, torchToLayerTensor, type PlainTensor } from '../src/interop/state_dict.js';
import { BACKENDS, useBackend } from './helpers/backends.js';
import { assertClose } from './helpers/assert_close.js';
import { loadGolden, toNhwc, type GoldenCase } from './helpers/golden.js';

const cases = loadGolden();

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
const sumTolerance = (terms: number) => ({ rtol: 1e-5, atolRel: 1e-5 * Math.max(1, Math.sqrt(terms)) });

function runLayerCase(c: GoldenCase): void {
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

  const xv = tf.variable(x, true, `x_${c.name}_${tf.getBackend()}`);
  const vars = layer.trainableWeights.map((w: { read(): tf.Tensor }) => w.read() as tf.Variable);
  let y: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    y = tf.keep(layer.apply(xv, { training }) as tf.Tensor);
    return tf.sum(tf.mul(y, g)) as tf.Scalar;
  }, [xv, ...vars]);

  const yExpected = toNhwc(c.y);
  assert.deepEqual(y!.shape, yExpected.shape, `${c.name}: y shape`);
  assertClose(y!.dataSync(), yExpected.data, `${c.name} y`);
  assertClose(grads[xv.name].dataSync(), toNhwc(c.grads.x).data, `${c.name} dL/dx`);
  const keys = TORCH_WEIGHT_ORDER[c.module].slice(0, vars.length);
  const terms = c.x.data.length / c.init_args.width;
  // Gradients that pass through a training-mode BatchNorm are differences of much larger terms
  // (the bias before BN has gradient 0 exactly), so their error scales with the case's largest gradient.
  const gradScale = Math.max(...Object.values(c.grads).map((t) => Math.max(...Array.from(t.data, Math.abs))));
  const bnAtol = training && c.module === 'MetaAconC' ? 1e-6 * gradScale : 0;
  keys.forEach((key, i) => {
    const expected = torchToLayerTensor(key, c.grads[key]);
    assert.deepEqual(grads[vars[i].name].shape, expected.shape, `${c.name}: dL/d${key} shape`);
    assertClose(grads[vars[i].name].dataSync(), expected.dataSync(), `${c.name} dL/d${key}`, { ...sumTolerance(terms), atol: bnAtol });
    expected.dispose();
  });
  if (c.module === 'MetaAconC') {
    const after = (training ? c.buffers_after : c.buffers) as Record<string, PlainTensor>;
    const stats = layer.getWeights().slice(vars.length);
    TORCH_WEIGHT_ORDER.MetaAconC.slice(vars.length).forEach((key, i) => {
      assertClose(stats[i].dataSync(), after[key].data, `${c.name} ${key} after the forward`);
    });
  }
  tf.dispose([xv, y!, value, ...Object.values(grads)]);
  assert.equal(tf.memory().numTensors, tensorsBefore, `${c.name}: tensors leaked by forward + backward`);
  tf.dispose([x, g]);
  for (const w of layer.weights) w.dispose();
}

/** The op alone, with the parameters as plain tensors (for MetaAconC: the generated β from the golden intermediates). */
function runOpCase(c: GoldenCase): void {
  const x = nhwcTensor(c.x),
    g = nhwcTensor(c.g);
  const flat = (k: string) => tf.tensor1d(Float32Array.from(c.params[k].data));
  const yExpected = toNhwc(c.y).data;
  if (c.module === 'MetaAconC') {
    const beta = nhwcTensor((c as unknown as { intermediates: { beta: PlainTensor } }).intermediates.beta);
    const y = ops.aconC(x, flat('p1'), flat('p2'), beta);
    assertClose(y.dataSync(), yExpected, `${c.name} op y with per-sample beta`);
    tf.dispose([x, g, beta, y]);
    return;
  }
  const names = c.module === 'AconA' ? ['beta'] : c.module === 'AconB' ? ['p', 'beta'] : ['p1', 'p2', 'beta'];
  const params = names.map(flat);
  const f = (xx: tf.Tensor, ...ps: tf.Tensor[]) =>
    c.module === 'AconA' ? ops.aconA(xx, ps[0]) : c.module === 'AconB' ? ops.aconB(xx, ps[0], ps[1]) : ops.aconC(xx, ps[0], ps[1], ps[2]);
  const y = f(x, ...params);
  assertClose(y.dataSync(), yExpected, `${c.name} op y`);
  const gr = tf.grads((xx: tf.Tensor, ...ps: tf.Tensor[]) => tf.sum(tf.mul(f(xx, ...ps), g)))([x, ...params]);
  assertClose(gr[0].dataSync(), toNhwc(c.grads.x).data, `${c.name} op dL/dx`);
  const terms = c.x.data.length / c.init_args.width;
  names.forEach((n, i) => assertClose(gr[i + 1].dataSync(), c.grads[n].data, `${c.name} op dL/d${n}`, sumTolerance(terms)));
  tf.dispose([x, g, y, ...params, ...gr]);
}

for (const backend of BACKENDS) {
  describe(`golden vectors from PyTorch on ${backend}`, { skip: cases ? false : 'golden.json not found (see message above)' }, () => {
    before(() => useBackend(backend));
    for (const c of cases ?? []) {
      it(`${c.name}: layer ${c.module} (${c.mode}) matches y, every gradient and buffers`, () => runLayerCase(c));
      it(`${c.name}: op matches`, () => runOpCase(c));
    }
  });
}
