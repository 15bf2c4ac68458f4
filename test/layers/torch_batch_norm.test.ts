/** TorchBatchNorm: PyTorch's training/inference semantics, the synchronised path's gradients, config and save/load. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { layers, TorchBatchNorm } from '../../src/index.js';
import { withCrossReplicaReducer, type CrossReplicaReducer } from '../../src/layers/cross_replica.js';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose } from '../helpers/assert_close.js';
import { randomArray, rng } from '../helpers/random.js';

const SHAPE = [5, 3, 2, 4];
const GAMMA = [1, 2, 0.5, -1],
  BETA = [0, 1, 2, 3],
  MEAN0 = [0.5, -1, 0, 2],
  VAR0 = [1, 2, 0.5, 3];

function built(momentum?: number): TorchBatchNorm {
  const layer = layers.torchBatchNorm({ momentum });
  layer.build([null, ...SHAPE.slice(1)]);
  layer.setWeights([tf.tensor1d(GAMMA), tf.tensor1d(BETA), tf.tensor1d(MEAN0), tf.tensor1d(VAR0)]);
  return layer;
}

/** Per-channel mean and biased variance in float64, channels last. */
function stats(x: Float32Array, C: number): { mean: number[]; variance: number[]; n: number } {
  const n = x.length / C,
    mean = new Array<number>(C).fill(0),
    variance = new Array<number>(C).fill(0);
  for (let i = 0; i < x.length; i++) mean[i % C] += x[i] / n;
  for (let i = 0; i < x.length; i++) variance[i % C] += (x[i] - mean[i % C]) ** 2 / n;
  return { mean, variance, n };
}

/** One replica: what it contributes is what it gets back (the synchronised path's arithmetic on one shard). */
const alone: CrossReplicaReducer = { weight: 1, allReduce: (v, scale = 1) => Float64Array.from(v, (a) => a * scale) };

for (const backend of BACKENDS) {
  describe(`TorchBatchNorm on ${backend}`, () => {
    before(() => useBackend(backend));
    const r = rng(7);
    const xv = randomArray(
      r,
      SHAPE.reduce((a, b) => a * b),
      2,
    ).map((v) => v + 0.5);
    const dyv = randomArray(r, xv.length);

    it('training: batch mean and biased variance; running stats take the unbiased variance with PyTorch momentum', () => {
      const layer = built(0.25);
      const y = tf.tidy(() => (layer.apply(tf.tensor(xv, SHAPE), { training: true }) as tf.Tensor).dataSync());
      const { mean, variance, n } = stats(xv, 4);
      const expected = Array.from(xv, (v, i) => ((v - mean[i % 4]) / Math.sqrt(variance[i % 4] + 1e-5)) * GAMMA[i % 4] + BETA[i % 4]);
      assertClose(y, expected, 'y', { rtol: 1e-5 });
      const [, , m, v] = layer.getWeights().map((w) => w.dataSync());
      assertClose(
        m,
        MEAN0.map((m0, c) => 0.75 * m0 + 0.25 * mean[c]),
        'running mean',
        { rtol: 1e-6 },
      );
      assertClose(
        v,
        VAR0.map((v0, c) => 0.75 * v0 + (0.25 * variance[c] * n) / (n - 1)),
        'running var',
        { rtol: 1e-6 },
      );
    });

    it('inference normalises with the running statistics and changes nothing', () => {
      const layer = built();
      const y = tf.tidy(() => (layer.apply(tf.tensor(xv, SHAPE)) as tf.Tensor).dataSync());
      assertClose(
        y,
        Array.from(xv, (v, i) => ((v - MEAN0[i % 4]) / Math.sqrt(VAR0[i % 4] + 1e-5)) * GAMMA[i % 4] + BETA[i % 4]),
        'y',
        { rtol: 1e-5 },
      );
      assertClose(layer.getWeights()[2].dataSync(), MEAN0, 'running mean unchanged');
    });

    it('the synchronised path gives the same output, gradients and running stats as the plain one', () => {
      const run = (reducer?: CrossReplicaReducer) => {
        const layer = built();
        const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
        const x = tf.variable(tf.tensor(xv, SHAPE));
        const out = withCrossReplicaReducer(reducer, () =>
          tf.tidy(() => {
            const { value, grads } = tf.variableGrads(
              () => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, tf.tensor(dyv, SHAPE))) as tf.Scalar,
              [x, ...vars],
            );
            return [value, grads[x.name], ...vars.map((v) => grads[v.name])].map((t) => t.dataSync());
          }),
        );
        const state = layer
          .getWeights()
          .slice(2)
          .map((w) => w.dataSync());
        x.dispose();
        return [...out, ...state];
      };
      const plain = run(),
        synced = run(alone);
      ['value', 'dx', 'dgamma', 'dbeta', 'running mean', 'running var'].forEach((what, i) =>
        assertClose(synced[i], plain[i], what, { rtol: 1e-5, atolRel: 1e-5 }),
      );
    });

    it('a synchronised training step leaves no tensors behind', () => {
      const layer = built();
      const x = tf.tensor(xv, SHAPE);
      const step = () =>
        withCrossReplicaReducer(alone, () => {
          const { value, grads } = tf.variableGrads(
            () => tf.sum(tf.square(layer.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
            layer.trainableWeights.map((w) => w.read() as tf.Variable),
          );
          tf.dispose([value, grads]);
        });
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) step();
      assert.equal(tf.memory().numTensors, before);
      x.dispose();
    });

    it('training on one value per channel is an error naming the layer and shape, also when synchronised over one replica', () => {
      const layer = built();
      assert.throws(
        () => layer.apply(tf.zeros([1, 4]), { training: true }),
        /TorchBatchNorm '.*': .*more than 1 value per channel, got input of shape \[1,4\] \(PyTorch raises the same\); use a batch size > 1$/,
      );
      assert.throws(
        () => withCrossReplicaReducer(alone, () => layer.apply(tf.zeros([1, 4]), { training: true })),
        /more than 1 value per channel/,
      );
    });
  });
}

describe('TorchBatchNorm configuration', () => {
  before(() => useBackend('cpu'));

  it('getConfig round-trips and save/load keeps outputs', async () => {
    const model = tfl.sequential({
      layers: [tfl.layers.dense({ inputShape: [3], units: 4 }), new TorchBatchNorm({ momentum: 0.2, epsilon: 1e-3 })],
    });
    const bn = model.layers[1] as TorchBatchNorm;
    bn.setWeights([tf.tensor1d(GAMMA), tf.tensor1d(BETA), tf.tensor1d(MEAN0), tf.tensor1d(VAR0)]);
    const config = bn.getConfig();
    assert.equal(config.momentum, 0.2);
    assert.equal(config.epsilon, 1e-3);
    assert.deepEqual(TorchBatchNorm.fromConfig(TorchBatchNorm, config).getConfig(), config);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    assert.equal(loaded.layers[1].getClassName(), 'TorchBatchNorm');
    const x = tf.tensor2d([
      [1, 2, 3],
      [-1, 0, 4],
    ]);
    assertClose((loaded.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync(), 'loaded output', { rtol: 0 });
  });

  it('rejects bad momentum, epsilon and input rank with the field named', () => {
    assert.throws(() => new TorchBatchNorm({ momentum: 1.5 }), /momentum must be in \[0, 1\]/);
    assert.throws(() => new TorchBatchNorm({ epsilon: 0 }), /epsilon must be > 0/);
    assert.throws(() => new TorchBatchNorm().build([null]), /rank >= 2/);
  });
});
