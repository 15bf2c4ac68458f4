/**
 * `import 'acon/node'` alone makes `wasm` and `cpu` train conv nets with `model.fit`, as a tfjs
 * backend registers its kernels on import (before, wasm failed with "Kernel 'Conv2DBackpropFilter'
 * not registered for backend 'wasm'"). This file imports nothing else that registers kernels.
 */
import '../../src/entry_node.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { AconC, MetaAconC } from '../../src/index.js';
import { trainingKernels } from '../../src/node/kernels/index.js';

/** 8×8 images of noise, brighter by 1 in class 1 than in class 0. */
function task(n: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const labels = tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % 2),
      'int32',
    );
    const noise = tf.randomUniform([n, 8, 8, 1], 0, 1, 'float32', 3);
    const x = tf.add(noise, tf.reshape(tf.cast(labels, 'float32'), [n, 1, 1, 1])) as tf.Tensor4D;
    return { x, y: tf.oneHot(labels, 2) as tf.Tensor2D };
  });
}

function convNet(): tfl.LayersModel {
  const seeded = (seed: number) => tfl.initializers.glorotUniform({ seed });
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: seeded(1) }),
      new AconC({ preset: 'swish' }),
      tfl.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: seeded(2) }),
      new MetaAconC({ r: 4, preset: 'swish' }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: seeded(3) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  return model;
}

describe("import 'acon/node' registers the training kernels", () => {
  it('every training kernel is the registered one for its backend', () => {
    for (const k of trainingKernels) assert.equal(tf.getKernel(k.kernelName, k.backendName), k, `${k.kernelName} on ${k.backendName}`);
    assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'), 'Conv2DBackpropFilter on wasm');
  });

  for (const backend of ['wasm', 'cpu'])
    it(`tf.setBackend('${backend}'), then model.fit trains a conv net with AconC and MetaAconC: the loss falls`, async () => {
      assert.ok(await tf.setBackend(backend), `setBackend('${backend}')`);
      const { x, y } = task(128);
      const history = await convNet().fit(x, y, { epochs: 5, batchSize: 32, shuffle: false, verbose: 0 });
      const loss = history.history.loss as number[];
      assert.ok(loss.every(Number.isFinite), `losses ${loss}`);
      assert.ok(loss[loss.length - 1] < 0.5 * loss[0], `${backend}: loss ${loss[0]} → ${loss[loss.length - 1]}`);
      tf.dispose([x, y]);
    });
});
