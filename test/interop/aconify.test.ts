/** aconify: structure, kept weights, the `preserve` bound, training, save and load. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, before } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { interop, layers as acon } from '../../src/index.js';
import { saveModel, loadModel } from '../../src/node/model_files.js';
import { RELU_GAP_CONSTANT } from '../../src/interop/aconify.js';
import { useBackend } from '../helpers/backends.js';
import { rng } from '../helpers/random.js';

const { aconify } = interop;
type T = tfl.SymbolicTensor;

const summary = (m: tfl.LayersModel) => m.layers.map((l) => `${l.name}:${l.getClassName()}`);
const inboundNames = (l: tfl.layers.Layer) => l.inboundNodes[0].inboundLayers.map((x) => x.name);

function randomTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  const r = rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => r.uniform(-scale, scale)),
    shape,
  );
}

/** conv 3×3 relu → conv 3×3 → BN → ReLU → conv 1×1 relu → flatten → dense relu → dense. */
function sequentialReluNet(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ name: 'c1', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [6, 6, 2] }),
      tfl.layers.conv2d({ name: 'c2', filters: 4, kernelSize: 3, padding: 'same' }),
      tfl.layers.batchNormalization({ name: 'bn2' }),
      tfl.layers.reLU({ name: 'r2' }),
      tfl.layers.conv2d({ name: 'c3', filters: 3, kernelSize: 1, activation: 'relu' }),
      tfl.layers.flatten({ name: 'flat' }),
      tfl.layers.dense({ name: 'd1', units: 8, activation: 'relu' }),
      tfl.layers.dense({ name: 'logits', units: 3 }),
    ],
  });
}

/** Two branches from a relu conv, summed, a Swish activation layer, concatenated with a third branch. */
function functionalBranchNet(): tfl.LayersModel {
  const input = tfl.input({ shape: [6, 6, 3], name: 'image' });
  const stem = tfl.layers.conv2d({ name: 'stem', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as T;
  let a = tfl.layers.conv2d({ name: 'a_conv', filters: 4, kernelSize: 3, padding: 'same' }).apply(stem) as T;
  a = tfl.layers.batchNormalization({ name: 'a_bn' }).apply(a) as T;
  a = tfl.layers.activation({ name: 'a_relu', activation: 'relu' }).apply(a) as T;
  const b = tfl.layers.conv2d({ name: 'b_conv', filters: 4, kernelSize: 1, activation: 'swish' }).apply(stem) as T;
  const sum = tfl.layers.add({ name: 'sum' }).apply([a, b]) as T;
  const act = tfl.layers.activation({ name: 'sum_swish', activation: 'swish' }).apply(sum) as T;
  const c = tfl.layers.conv2d({ name: 'c_conv', filters: 2, kernelSize: 1, activation: 'relu' }).apply(stem) as T;
  const cat = tfl.layers.concatenate({ name: 'cat' }).apply([act, c]) as T;
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(cat) as T;
  const out = tfl.layers.dense({ name: 'logits', units: 3 }).apply(pooled) as T;
  return tfl.model({ inputs: input, outputs: out, name: 'branches' });
}

/** Moves every weight away from its initial value, so that "kept" is not trivially true (BN stats too). */
function perturb(model: tfl.LayersModel, seed: number): void {
  model.layers.forEach((l, i) => {
    if (l.weights.length)
      l.setWeights(l.weights.map((w, k) => tf.add(tf.abs(randomTensor(w.shape as number[], seed + 31 * i + k, 0.5)), 0.05)));
  });
}

function assertWeightsKept(before: tfl.LayersModel, after: tfl.LayersModel): void {
  for (const l of before.layers) {
    if (!l.weights.length) continue;
    const kept = after.getLayer(l.name).getWeights();
    const orig = l.getWeights();
    assert.equal(kept.length, orig.length, `${l.name}: number of weights`);
    orig.forEach((w, k) => assert.deepEqual(Array.from(kept[k].dataSync()), Array.from(w.dataSync()), `${l.name} weight ${k}`));
  }
}

/** max |layer(x) − old(x)| over x, for the activation a replaced layer applies to its own input. */
function maxGap(layer: tfl.layers.Layer, x: tf.Tensor, old: 'relu' | 'swish'): number {
  return tf.tidy(() => {
    const y = layer.apply(x) as tf.Tensor;
    const ref = old === 'relu' ? tf.relu(x) : tf.mul(x, tf.sigmoid(x));
    return tf.max(tf.abs(tf.sub(y, ref))).dataSync()[0];
  });
}

/** A dense grid over [−halfWidth, halfWidth], one row per value, repeated for each channel. */
function gridInput(channels: number, halfWidth = 2, rows = 40001): tf.Tensor {
  return tf.tidy(() => tf.tile(tf.reshape(tf.linspace(-halfWidth, halfWidth, rows), [rows, 1]), [1, channels]));
}

describe('aconify', () => {
  before(() => useBackend('cpu'));

  it('Sequential ReLU conv net: every ReLU becomes ACON-C, activation fields are split off, weights kept', () => {
    const model = sequentialReluNet();
    perturb(model, 1);
    const out = aconify(model, { to: 'aconC' });
    assert.ok(out instanceof tfl.Sequential);
    assert.deepEqual(summary(out), [
      'c1:Conv2D',
      'c1_acon:AconC',
      'c2:Conv2D',
      'bn2:BatchNormalization',
      'r2:AconC',
      'c3:Conv2D',
      'c3_acon:AconC',
      'flat:Flatten',
      'd1:Dense',
      'd1_acon:AconC',
      'logits:Dense',
    ]);
    for (const name of ['c1', 'c3', 'd1']) assert.equal(out.getLayer(name).getConfig().activation, 'linear', name);
    assert.equal(model.getLayer('c1').getConfig().activation, 'relu', 'the original is unchanged');
    assertWeightsKept(model, out);
    const x = randomTensor([4, 6, 6, 2], 2, 2);
    const y0 = model.predict(x) as tf.Tensor,
      y1 = out.predict(x) as tf.Tensor;
    const gap = tf.max(tf.abs(tf.sub(y0, y1))).dataSync()[0];
    const scale = tf.max(tf.abs(y0)).dataSync()[0];
    assert.ok(gap > 0 && gap < 1e-2 * scale, `outputs stay close: max |Δ| ${gap} vs max |y| ${scale}`);
  });

  it("init 'preserve': |ACON − ReLU| ≤ tolerance, and the bound c/β is attained (c = 0.27846)", () => {
    const out = aconify(sequentialReluNet(), { to: 'aconC', tolerance: 1e-3 });
    const layer = out.getLayer('r2');
    const [p1, p2, beta] = layer.getWeights().map((w) => Array.from(w.dataSync()));
    assert.deepEqual(p1, [1, 1, 1, 1]);
    assert.deepEqual(p2, [0, 0, 0, 0]);
    assert.ok(
      beta.every((b) => Math.abs(b - RELU_GAP_CONSTANT / 1e-3) < 1e-3),
      `β = ${beta[0]}`,
    );
    const gap = maxGap(layer, gridInput(4, 0.05), 'relu');
    assert.ok(gap <= 1e-3 + 1e-7, `max |f − relu| ${gap} ≤ 1e-3`);
    assert.ok(gap > 0.999e-3, `the bound is tight: ${gap}`);
    for (const tolerance of [1e-2, 1e-5]) {
      const m = aconify(sequentialReluNet(), { to: 'aconB', tolerance });
      // the worst x is u*/β ≈ 4.6·tolerance
      const g = maxGap(m.getLayer('r2'), gridInput(4, 50 * tolerance), 'relu');
      assert.ok(g <= tolerance * (1 + 1e-4) && g > 0.99 * tolerance, `ACON-B at tolerance ${tolerance}: ${g}`);
    }
    const a = aconify(sequentialReluNet(), { to: 'aconA' });
    assert.ok(maxGap(a.getLayer('c1_acon'), gridInput(4), 'relu') <= 1e-3 + 1e-7);
  });

  it("'where': 'after-3x3' replaces only activations fed by a 3×3 conv (directly or through BN); a predicate picks layers", () => {
    const after = aconify(sequentialReluNet(), { to: 'metaAconC', where: 'after-3x3', init: 'official' });
    assert.deepEqual(
      after.layers.filter((l) => l.getClassName() === 'MetaAconC').map((l) => l.name),
      ['c1_acon', 'r2'],
    );
    assert.equal(after.getLayer('c3').getConfig().activation, 'relu');
    assert.equal(after.getLayer('d1').getConfig().activation, 'relu');
    const picked = aconify(sequentialReluNet(), { to: 'aconA', where: (l) => l.name === 'd1', init: 'swish' });
    assert.deepEqual(
      picked.layers.filter((l) => l.getClassName() === 'AconA').map((l) => l.name),
      ['d1_acon'],
    );
  });

  it('functional model with branches (add, concatenate): rewired, weights kept, Swish kept exactly', () => {
    const model = functionalBranchNet();
    perturb(model, 7);
    const out = aconify(model, { to: 'aconC' });
    assert.deepEqual(inboundNames(out.getLayer('stem_acon')), ['stem']);
    for (const consumer of ['a_conv', 'b_conv', 'c_conv']) assert.deepEqual(inboundNames(out.getLayer(consumer)), ['stem_acon'], consumer);
    assert.deepEqual(inboundNames(out.getLayer('sum')), ['a_relu', 'b_conv_acon']);
    assert.deepEqual(inboundNames(out.getLayer('cat')), ['sum_swish', 'c_conv_acon']);
    assert.equal(out.getLayer('a_relu').getClassName(), 'AconC');
    assert.equal(out.getLayer('sum_swish').getClassName(), 'AconC');
    assert.equal(out.layers.filter((l) => l.getClassName() === 'AconC').length, 5);
    assertWeightsKept(model, out);
    const x = randomTensor([8, 4], 3, 4);
    assert.ok(maxGap(out.getLayer('sum_swish'), x, 'swish') <= 1e-6, 'Swish → ACON-C (1, 0, 1) is x·σ(x)');
    assert.ok(maxGap(out.getLayer('b_conv_acon'), x, 'swish') <= 1e-6);
    assert.ok(maxGap(out.getLayer('c_conv_acon'), gridInput(2), 'relu') <= 1e-3 + 1e-7);
    const img = randomTensor([2, 6, 6, 3], 4, 2);
    const y0 = model.predict(img) as tf.Tensor,
      y1 = out.predict(img) as tf.Tensor;
    assert.ok(tf.max(tf.abs(tf.sub(y0, y1))).dataSync()[0] < 1e-2 * tf.max(tf.abs(y0)).dataSync()[0]);
  });

  it('Meta-ACON-C: Swish is preserved (generated β = 1 in float32); ReLU cannot be, and the error says why', () => {
    const model = functionalBranchNet();
    const swishOnly = aconify(model, { to: 'metaAconC', where: (l) => l.name.includes('swish') || l.name === 'b_conv' });
    const x = randomTensor([4, 3, 3, 4], 5, 4);
    const meta = swishOnly.getLayer('sum_swish') as acon.MetaAconC;
    assert.ok(
      Array.from(meta.generateBeta(x, false).dataSync()).every((b) => b === 1),
      'the generated β is 1 in float32',
    );
    assert.ok(maxGap(meta, x, 'swish') <= 1e-6);
    assert.throws(() => aconify(model, { to: 'metaAconC' }), /cannot keep layer 'stem' \(ReLU\) as Meta-ACON-C: its β = σ\(·\) < 1/);
    const none = aconify(model, { to: 'metaAconC', init: 'official', r: 2 });
    assert.equal(none.getLayer('stem_acon').getConfig().r, 2);
  });

  it('errors name the option', () => {
    const m = sequentialReluNet();
    assert.throws(
      () => aconify(m, { to: 'gelu' as never }),
      /aconify: 'to' must be one of 'aconC', 'metaAconC', 'aconA', 'aconB', got 'gelu'/,
    );
    assert.throws(() => aconify(m, { to: 'aconC', init: 'zero' as never }), /'init' must be one of/);
    assert.throws(() => aconify(m, { to: 'aconC', tolerance: 0 }), /tolerance must be > 0/);
    assert.throws(() => aconify(m, { to: 'aconC', where: 'some' as never }), /'where' must be 'all', 'after-3x3' or a function/);
  });

  it('the aconified functional model trains (loss falls), saves and loads', async () => {
    const base = functionalBranchNet();
    for (const [i, w] of base.trainableWeights.entries())
      if (w.originalName.endsWith('kernel')) w.write(randomTensor(w.shape as number[], 100 + i, 0.5)); // a seeded start
    const model = aconify(base, { to: 'aconC' });
    const x = randomTensor([32, 6, 6, 3], 11, 1);
    const labels = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 32 }, (_, i) => i % 3),
        'int32',
      ),
      3,
    );
    model.compile({ optimizer: tf.train.adam(0.03), loss: (y: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, logits) });
    const history = await model.fit(x, labels, { epochs: 20, batchSize: 32, verbose: 0 });
    const losses = history.history.loss as number[];
    assert.ok(losses.at(-1)! < 0.6 * losses[0], `loss ${losses[0]} → ${losses.at(-1)}`);
    const p1 = model.getLayer('stem_acon').getWeights()[0].dataSync();
    assert.ok(
      Array.from(p1).some((v) => v !== 1),
      'ACON parameters are trained',
    );
    const dir = mkdtempSync(join(tmpdir(), 'aconify-'));
    try {
      await saveModel(model, dir);
      const loaded = await loadModel(dir);
      assert.deepEqual(summary(loaded), summary(model));
      assert.deepEqual(Array.from((loaded.predict(x) as tf.Tensor).dataSync()), Array.from((model.predict(x) as tf.Tensor).dataSync()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ACON layers already in the model are left as they are', () => {
    const input = tfl.input({ shape: [4] });
    const h = acon.aconC({ name: 'mine' }).apply(tfl.layers.dense({ units: 4, name: 'd' }).apply(input) as T) as T;
    const model = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 2, name: 'o', activation: 'relu' }).apply(h) as T });
    const out = aconify(model, { to: 'aconC' });
    assert.deepEqual(summary(out).slice(1), ['d:Dense', 'mine:AconC', 'o:Dense', 'o_acon:AconC']);
    assertWeightsKept(model, out);
  });
});
