// A browser consumer of the `acon` entry, bundled by the package test with esbuild for the
// browser platform: it must not pull in any Node built-in.
import * as tf from '@tensorflow/tfjs';
import { AconC, layers, math, ops } from 'acon';

await ops.initAconWasm();
const x = tf.tensor2d([[1, -1, 0, 2]]);
const y = ops.aconC(x, tf.fill([4], 1.2), tf.fill([4], -0.8), tf.fill([4], 1));
const model = tf.sequential({
  layers: [tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3 }), new AconC(), layers.metaAconC({ r: 2 })],
});
document.body.textContent = JSON.stringify({
  y: Array.from(y.dataSync()),
  params: model.countParams(),
  f: math.aconC(1, 1.2, -0.8, 1),
});
