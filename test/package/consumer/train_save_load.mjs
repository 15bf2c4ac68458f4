// An ESM consumer of the installed package in Node: trains a small conv net with AconC and
// MetaAconC on wasm with model.fit (importing acon/node is all it takes), saves it with
// saveModel, loads it with loadModel and compares the outputs. Prints one JSON line.
import * as tf from '@tensorflow/tfjs';
import { AconC, layers, math } from 'acon';
import { loadModel, saveModel } from 'acon/node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

if (!(await tf.setBackend('wasm'))) throw new Error("tf.setBackend('wasm') failed");
const n = 64;
const labels = tf.tensor1d(
  Array.from({ length: n }, (_, i) => i % 2),
  'int32',
);
const x = tf.add(tf.randomUniform([n, 8, 8, 1], 0, 1, 'float32', 3), tf.reshape(tf.cast(labels, 'float32'), [n, 1, 1, 1]));
const y = tf.oneHot(labels, 2);
const model = tf.sequential({
  layers: [
    tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 8, kernelSize: 3, padding: 'same' }),
    new AconC({ preset: 'swish' }),
    tf.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same' }),
    layers.metaAconC({ r: 4, preset: 'swish' }),
    tf.layers.globalAveragePooling2d({}),
    tf.layers.dense({ units: 2, activation: 'softmax' }),
  ],
});
model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
const history = await model.fit(x, y, { epochs: 5, batchSize: 16, shuffle: false, verbose: 0 });

const dir = mkdtempSync(join(tmpdir(), 'acon-consumer-'));
try {
  await saveModel(model, dir);
  const loaded = await loadModel(dir);
  const before = model.predict(x).dataSync();
  const after = loaded.predict(x).dataSync();
  console.log(
    JSON.stringify({
      backend: tf.getBackend(),
      losses: history.history.loss,
      identical: before.length === after.length && before.every((v, i) => Object.is(v, after[i])),
      layers: loaded.layers.map((l) => l.getClassName()),
      smoothMax: math.smoothMaximum([0, 1, 2], 1),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
