/**
 * A short ACON example: a small network with ACON-C and Meta-ACON-C learns a nonlinear two-class
 * problem with `model.fit`, printing its loss each epoch. `npm start` runs it until the
 * `acon compare` command lands.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { layers } from '../src/index.js';

const backend = process.env.ACON_BACKEND ?? 'wasm';
await tf.setBackend(backend);
await tf.ready();
console.log(`backend: ${tf.getBackend()}`);

// Two interleaved spirals: linear layers alone cannot separate them.
const n = 1024;
const xs = new Float32Array(n * 2), ys = new Float32Array(n * 2);
for (let i = 0; i < n; i++) {
  const cls = i % 2, t = (i / n) * 3 * Math.PI + 0.5;
  const r = t / (3 * Math.PI);
  xs[i * 2] = r * Math.cos(t + cls * Math.PI);
  xs[i * 2 + 1] = r * Math.sin(t + cls * Math.PI);
  ys[i * 2 + cls] = 1;
}

const model = tfl.sequential({ layers: [
  tfl.layers.dense({ units: 64, inputShape: [2] }), layers.aconC(),
  tfl.layers.dense({ units: 64 }), layers.metaAconC({ r: 4 }),
  tfl.layers.dense({ units: 2, activation: 'softmax' }),
] });
model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
await model.fit(tf.tensor2d(xs, [n, 2]), tf.tensor2d(ys, [n, 2]), {
  epochs: 40, batchSize: 64, shuffle: true, verbose: 0,
  callbacks: { onEpochEnd: async (epoch, logs) => console.log(`epoch ${String(epoch + 1).padStart(2)}  loss ${logs!.loss.toFixed(4)}  accuracy ${logs!.acc.toFixed(3)}`) },
});
const acon = model.layers[1].getWeights().map((w) => w.dataSync());
const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0) / v.length;
console.log(`learned ACON-C (layer 1), channel means: p1 ${mean(acon[0]).toFixed(3)}  p2 ${mean(acon[1]).toFixed(3)}  beta ${mean(acon[2]).toFixed(3)}`);
