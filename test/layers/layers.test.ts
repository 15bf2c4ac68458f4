/** The ACON layers: weights, presets, config round-trips, save/load, Meta-ACON granularities, training. */
import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { AconA, AconB, AconC, MetaAconC, layers, ops } from '../../src/index.js';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose } from '../helpers/assert_close.js';
import { randomArray, rng } from '../helpers/random.js';

const shapesOf = (l: tfl.layers.Layer) =>
  l.weights.map((w) => [
    w.originalName.startsWith(`${l.name}/`) ? w.originalName.slice(l.name.length + 1) : w.originalName,
    w.shape,
    w.trainable,
  ]);

async function saveAndLoad(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const json = JSON.parse(JSON.stringify(artifacts!.modelTopology));
  return tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json, weightSpecs: artifacts!.weightSpecs, weightData: artifacts!.weightData }),
  );
}

describe('ACON layers: weights and configuration', () => {
  before(() => useBackend('cpu'));

  it('create weights in the documented order and shapes', () => {
    const x = [null, 5, 5, 32];
    const build = <T extends tfl.layers.Layer>(l: T) => {
      l.build(x);
      return l;
    };
    assert.deepEqual(shapesOf(build(layers.aconA())), [['beta', [32], true]]);
    assert.deepEqual(shapesOf(build(layers.aconB())), [
      ['p', [32], true],
      ['beta', [32], true],
    ]);
    assert.deepEqual(shapesOf(build(layers.aconC())), [
      ['p1', [32], true],
      ['p2', [32], true],
      ['beta', [32], true],
    ]);
    assert.deepEqual(shapesOf(build(layers.aconC({ sharedAxes: -1 }))), [
      ['p1', [1], true],
      ['p2', [1], true],
      ['beta', [1], true],
    ]);
    assert.deepEqual(
      shapesOf(build(layers.aconC({ sharedAxes: [1, 2] }))).map((s) => s[1]),
      [[32], [32], [32]],
    );
    assert.deepEqual(shapesOf(build(layers.metaAconC())), [
      ['p1', [32], true],
      ['p2', [32], true],
      ['fc1/kernel', [32, 16], true],
      ['fc1/bias', [16], true],
      ['bn1/gamma', [16], true],
      ['bn1/beta', [16], true],
      ['fc2/kernel', [16, 32], true],
      ['fc2/bias', [32], true],
      ['bn2/gamma', [32], true],
      ['bn2/beta', [32], true],
      ['bn1/moving_mean', [16], false],
      ['bn1/moving_variance', [16], false],
      ['bn2/moving_mean', [32], false],
      ['bn2/moving_variance', [32], false],
    ]);
    assert.equal(build(layers.metaAconC({ r: 4 })).getWeights()[2].shape[1], 8, 'hidden = max(r, C/r) = 8');
    assert.deepEqual(
      shapesOf(build(layers.metaAconC({ normalization: 'none' }))).map((s) => s[0]),
      ['p1', 'p2', 'fc1/kernel', 'fc1/bias', 'fc2/kernel', 'fc2/bias'],
    );
    assert.deepEqual(shapesOf(build(layers.metaAconC({ granularity: 'layer' }))), [
      ['p1', [32], true],
      ['p2', [32], true],
      ['fc/kernel', [1, 1], true],
      ['fc/bias', [1], true],
      ['bn/gamma', [1], true],
      ['bn/beta', [1], true],
      ['bn/moving_mean', [1], false],
      ['bn/moving_variance', [1], false],
    ]);
    assert.deepEqual(shapesOf(build(layers.metaAconC({ granularity: 'pixel' }))), [
      ['p1', [32], true],
      ['p2', [32], true],
      ['scale', [32], true],
      ['bias', [32], true],
      ['bn/gamma', [32], true],
      ['bn/beta', [32], true],
      ['bn/moving_mean', [32], false],
      ['bn/moving_variance', [32], false],
    ]);
  });

  it('initialise from presets, the official default, or any tfjs initializer', () => {
    const values = (l: tfl.layers.Layer) => {
      l.build([null, 64]);
      return l.getWeights().map((w) => Array.from(w.dataSync()));
    };
    const swish = values(new AconC({ preset: 'swish' }));
    assert.ok(swish[0].every((v) => v === 1) && swish[1].every((v) => v === 0) && swish[2].every((v) => v === 1));
    const relu = values(new AconC({ preset: 'relu-like' }));
    assert.ok(relu[0].every((v) => v === 1) && relu[1].every((v) => v === 0) && relu[2].every((v) => v === 10));
    const official = values(new AconC());
    const std = Math.sqrt(official[0].reduce((a, v) => a + v * v, 0) / 64);
    assert.ok(std > 0.6 && std < 1.5, `p1 ~ N(0,1), got std ${std}`);
    assert.ok(
      official[2].every((v) => v === 1),
      'β starts at 1',
    );
    const custom = values(
      new AconC({
        p2Initializer: 'zeros',
        betaInitializer: tfl.initializers.constant({ value: 0.5 }),
        p1Initializer: { className: 'Ones', config: {} },
      }),
    );
    assert.ok(custom[0].every((v) => v === 1) && custom[1].every((v) => v === 0) && custom[2].every((v) => v === 0.5));
    assert.ok(values(new AconB())[0].every((v) => v === 0.25));
    assert.throws(
      () => new AconC({ preset: 'gelu' as never }),
      /AconC: unknown preset 'gelu'; expected one of 'official', 'swish', 'relu-like'/,
    );
    assert.throws(() => new AconC({ p1Initializer: 'nope' }), /AconC: p1Initializer 'nope' is not a tfjs initializer/);
    assert.throws(
      () => new MetaAconC({ granularity: 'spatial' as never }),
      /MetaAconC: granularity must be one of 'channel', 'layer', 'pixel'/,
    );
    assert.throws(() => new MetaAconC({ r: 0 }), /MetaAconC: r must be a positive integer/);
    assert.throws(() => new MetaAconC({ epsilon: 0 }), { message: 'MetaAconC: epsilon must be > 0, got 0' });
    assert.throws(() => new MetaAconC({ momentum: -0.1 }), { message: 'MetaAconC: momentum must be in [0, 1] (PyTorch sense), got -0.1' });
    assert.deepEqual([new MetaAconC().epsilon, new MetaAconC().momentum], [1e-5, 0.1]);
  });

  it('getConfig round-trips through fromConfig', () => {
    const made = [
      new AconA({ preset: 'relu-like', sharedAxes: -1, name: 'a' }),
      new AconB({ pInitializer: 'zeros' }),
      new AconC({ preset: 'swish', betaInitializer: tfl.initializers.constant({ value: 2 }) }),
      new MetaAconC({ granularity: 'pixel', normalization: 'none', r: 8, epsilon: 1e-3, momentum: 0.2 }),
      new MetaAconC({ granularity: 'layer', p1Initializer: 'ones' }),
    ];
    for (const l of made) {
      const config = l.getConfig();
      const cls = l.constructor as tf.serialization.SerializableConstructor<tfl.layers.Layer>;
      const again = tfl.layers.Layer.fromConfig(cls, config);
      assert.equal(again.getClassName(), l.getClassName());
      assert.deepEqual(again.getConfig(), config);
    }
  });

  it('rejects inputs that do not fit, naming the shape', () => {
    assert.throws(() => new AconC().build([null]), /AconC: input must have rank >= 2.*\[\]|AconC: input must have rank >= 2/);
    assert.throws(() => new AconC().build([null, null]), /AconC: the channel \(last\) axis of the input must be known/);
    assert.throws(() => new MetaAconC().build([8]), /MetaAconC: input must have rank >= 2/);
    const l = new AconC();
    l.build([null, 4, 4, 8]);
    assert.throws(() => l.apply(tf.zeros([2, 4, 4, 6])), /expected axis -1 of input shape to have value 8|8/);
  });
});

for (const backend of BACKENDS) {
  describe(`ACON layers on ${backend}`, () => {
    before(() => useBackend(backend));

    it('save with model.save and load with tf.loadLayersModel gives identical outputs', async () => {
      const input = tfl.input({ shape: [6, 6, 4] });
      let h = layers.aconC().apply(input) as tfl.SymbolicTensor;
      h = layers.metaAconC({ r: 2 }).apply(h) as tfl.SymbolicTensor;
      h = layers.metaAconC({ granularity: 'layer' }).apply(h) as tfl.SymbolicTensor;
      h = layers.metaAconC({ granularity: 'pixel', normalization: 'none' }).apply(h) as tfl.SymbolicTensor;
      h = layers.aconB({ sharedAxes: -1 }).apply(h) as tfl.SymbolicTensor;
      h = layers.aconA().apply(tfl.layers.flatten().apply(h)) as tfl.SymbolicTensor;
      const model = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 3 }).apply(h) as tfl.SymbolicTensor });
      // Non-default moving statistics, so loading must carry them too.
      const x = tf.tensor(randomArray(rng(20), 5 * 6 * 6 * 4), [5, 6, 6, 4]);
      model.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
      await model.fit(x, tf.zeros([5, 3]), { epochs: 1, batchSize: 5, verbose: 0 });
      const loaded = await saveAndLoad(model);
      assert.deepEqual(
        loaded.layers.map((l) => l.getClassName()),
        model.layers.map((l) => l.getClassName()),
      );
      const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
      assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
      model.getWeights().forEach((w, i) => assert.deepEqual(Array.from(loaded.getWeights()[i].dataSync()), Array.from(w.dataSync())));
    });

    it('Meta-ACON generates β per sample and channel, per sample, or per pixel, as documented', () => {
      const r = rng(21);
      const x = tf.tensor(randomArray(r, 3 * 4 * 5 * 6), [3, 4, 5, 6]);
      for (const granularity of ['channel', 'layer', 'pixel'] as const) {
        const l = new MetaAconC({ granularity, normalization: 'none', r: 2 });
        l.build(x.shape);
        const beta = l.generateBeta(x, false);
        assert.deepEqual(beta.shape, { channel: [3, 1, 1, 6], layer: [3, 1, 1, 1], pixel: [3, 4, 5, 6] }[granularity]);
        const w = l.getWeights();
        const y = l.apply(x) as tf.Tensor;
        assertClose(y.dataSync(), ops.aconC(x, w[0], w[1], beta).dataSync(), `${granularity}: y = aconC(x, p1, p2, G(x))`, { rtol: 1e-6 });
        if (granularity === 'pixel')
          assertClose(beta.dataSync(), tf.sigmoid(x).dataSync(), 'pixel: β = σ(x) at initialisation (paper)', { rtol: 1e-6 });
        if (granularity === 'layer') {
          const m = tf.mean(x, [1, 2, 3]).dataSync();
          const expected = Array.from(m, (v) => 1 / (1 + Math.exp(-(v * w[2].dataSync()[0] + w[3].dataSync()[0]))));
          assertClose(beta.dataSync(), expected, 'layer: β = σ(w·mean(x) + b)', { rtol: 1e-5 });
        }
        const grads = tf.variableGrads(
          () => tf.sum(tf.square(l.apply(x) as tf.Tensor)) as tf.Scalar,
          l.trainableWeights.map((v) => v.read() as tf.Variable),
        );
        for (const [name, g] of Object.entries(grads.grads))
          assert.ok(tf.max(tf.abs(g)).dataSync()[0] > 0, `${granularity}: no gradient reaches ${name}`);
      }
    });

    it('BatchNorm in Meta-ACON: training at batch 1 is a clear error; normalization "none" trains at batch 1', () => {
      const x = tf.tensor(randomArray(rng(22), 1 * 3 * 3 * 8), [1, 3, 3, 8]);
      const withBn = new MetaAconC({ name: 'meta1' });
      assert.throws(
        () => withBn.apply(x, { training: true }),
        /MetaAconC 'meta1': batch normalization in training needs more than 1 value per channel, got input of shape \[1,16\].*or normalization: 'none'/,
      );
      assert.doesNotThrow(() => withBn.apply(x, { training: false }));
      const none = new MetaAconC({ normalization: 'none' });
      none.build(x.shape);
      const g = tf.variableGrads(
        () => tf.sum(none.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        none.trainableWeights.map((v) => v.read() as tf.Variable),
      );
      for (const t of Object.values(g.grads)) assert.ok(t.dataSync().every(Number.isFinite));
      // Pixel-wise BN normalises over N·H·W values, so batch 1 with H·W > 1 trains.
      assert.doesNotThrow(() => new MetaAconC({ granularity: 'pixel' }).apply(x, { training: true }));
    });

    it('a small dense model with AconC and MetaAconC trains with model.fit and its loss falls', async () => {
      const r = rng(23);
      const n = 256;
      const xs = randomArray(r, n * 8);
      const ys = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) {
        const s = xs[i * 8] * xs[i * 8 + 1] + Math.abs(xs[i * 8 + 2]);
        ys[i * 2 + (s > 0.6 ? 1 : 0)] = 1;
      }
      const model = tfl.sequential({
        layers: [
          tfl.layers.dense({ units: 32, inputShape: [8] }),
          layers.aconC(),
          tfl.layers.dense({ units: 32 }),
          layers.metaAconC({ r: 4 }),
          tfl.layers.dense({ units: 2, activation: 'softmax' }),
        ],
      });
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
      const [xt, yt] = [tf.tensor(xs, [n, 8]), tf.tensor(ys, [n, 2])];
      const first = await model.fit(xt, yt, { epochs: 1, batchSize: 32, verbose: 0, shuffle: false });
      const before = tf.memory().numTensors; // after the optimizer has made its slots
      const h = await model.fit(xt, yt, { epochs: 14, batchSize: 32, verbose: 0, shuffle: false });
      const loss = [...(first.history.loss as number[]), ...(h.history.loss as number[])];
      assert.ok(loss[loss.length - 1] < 0.75 * loss[0], `loss ${loss[0]} → ${loss[loss.length - 1]}`);
      assert.equal(tf.memory().numTensors, before, 'tensors leaked during 14 epochs of fit');
    });
  });
}

describe('ACON layers in a conv net (cpu)', () => {
  before(() => useBackend('cpu'));
  it('a tiny conv net with AconC and channel-wise MetaAconC trains and its loss falls', async () => {
    const r = rng(24);
    const n = 32;
    const xs = randomArray(r, n * 6 * 6 * 1);
    const ys = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) ys[i * 2 + (xs[i * 36 + 14] + xs[i * 36 + 21] > 0 ? 1 : 0)] = 1;
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', inputShape: [6, 6, 1] }),
        layers.aconC(),
        tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same' }),
        layers.metaAconC({ r: 4 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.02), loss: 'categoricalCrossentropy' });
    const h = await model.fit(tf.tensor(xs, [n, 6, 6, 1]), tf.tensor(ys, [n, 2]), { epochs: 12, batchSize: 8, verbose: 0, shuffle: false });
    const loss = h.history.loss as number[];
    assert.ok(loss[loss.length - 1] < 0.7 * loss[0], `loss ${loss[0]} → ${loss[loss.length - 1]}`);
  });
});
