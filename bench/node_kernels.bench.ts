/**
 * `node.kernels`: the training kernels of src/node/kernels, stock vs ours, per kernel on the layer
 * shapes of the plain net (conv3×3 16 → conv3×3/2 32 → conv3×3/2 64 on 28×28×1, batch 128), and
 * training throughput of the plain net and of a ShuffleNetV2-style net on wasm and cpu.
 * Kernel records give the shape of the kernel's first input; stock and ours are timed side by side.
 * Stock cpu filter gradients take seconds per call at batch 128: they are timed once at batch 8
 * and scaled ×16 (marked `extrapolatedFromBatch`). Stock wasm cannot train these nets at all (it
 * lacks the filter gradients); stock cpu trains the plain net once at batch 16 (full runs only).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerTrainingKernels, trainingKernels, unregisterTrainingKernels } from '../src/node/kernels/index.js';
import type { BenchRecord, BenchSuite } from './harness.js';

const BATCH = 128;
const SUITE = 'node.kernels';

/** The plain net's convolutions: input shape, filter shape, stride. */
const layers: { name: string; x: number[]; f: number[]; s: number }[] = [
  { name: 'conv1', x: [28, 28, 1], f: [3, 3, 1, 16], s: 1 },
  { name: 'conv2', x: [28, 28, 16], f: [3, 3, 16, 32], s: 2 },
  { name: 'conv3', x: [14, 14, 32], f: [3, 3, 32, 64], s: 2 },
];

interface KernelCase {
  kernel: string;
  layer: string;
  inputs: Record<string, number[]> | number[][];
  attrs: Record<string, unknown>;
}

/** The shape of a case's first input. */
const firstShape = (c: KernelCase) => (Array.isArray(c.inputs) ? c.inputs[0] : Object.values(c.inputs)[0]);

/** Kernel invocations of one training step of the plain net (plus depthwise and batch-norm kernels on its shapes). */
function kernelCases(n: number): KernelCase[] {
  const cases: KernelCase[] = [];
  for (const { name, x, f, s } of layers) {
    const xs = [n, ...x];
    const out = tf.backend_util.computeConv2DInfo(xs as never, f as never, s, 1, 'same').outShape;
    const conv = { strides: s, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
    cases.push({ kernel: 'Conv2D', layer: name, inputs: { x: xs, filter: f }, attrs: conv });
    cases.push({ kernel: 'Conv2DBackpropFilter', layer: name, inputs: { x: xs, dy: out }, attrs: { ...conv, filterShape: f } });
    if (name !== 'conv1')
      cases.push({ kernel: 'Conv2DBackpropInput', layer: name, inputs: { dy: out, filter: f }, attrs: { ...conv, inputShape: xs } });
    cases.push({ kernel: 'Sum', layer: `${name} bias`, inputs: { x: out }, attrs: { axis: [0, 1, 2], keepDims: false } });
    const dw = [3, 3, x[2], 1];
    const dwOut = tf.backend_util.computeConv2DInfo(xs as never, dw as never, s, 1, 'same', undefined, true).outShape;
    const dwAttrs = { strides: s, pad: 'same', dilations: 1 };
    cases.push({
      kernel: 'DepthwiseConv2dNativeBackpropFilter',
      layer: `${name} dw`,
      inputs: { x: xs, dy: dwOut },
      attrs: { ...dwAttrs, filterShape: dw },
    });
    cases.push({
      kernel: 'DepthwiseConv2dNativeBackpropInput',
      layer: `${name} dw`,
      inputs: { dy: dwOut, filter: dw },
      attrs: { ...dwAttrs, inputShape: xs },
    });
  }
  const y1 = [n, 28, 28, 16];
  cases.push({ kernel: 'Mean', layer: 'pool', inputs: { x: [n, 7, 7, 64] }, attrs: { axis: [1, 2], keepDims: false } });
  cases.push({ kernel: 'Mean', layer: 'conv1 bn', inputs: { x: y1 }, attrs: { axis: [0, 1, 2], keepDims: true } });
  cases.push({
    kernel: 'FusedBatchNorm',
    layer: 'conv1 bn',
    inputs: { x: y1, mean: [16], variance: [16], offset: [16], scale: [16] },
    attrs: { varianceEpsilon: 1e-3 },
  });
  cases.push({ kernel: 'Tile', layer: 'conv1 bn grad', inputs: { x: [1, 1, 1, 16] }, attrs: { reps: [n, 28, 28, 1] } });
  cases.push({ kernel: 'Multiply', layer: 'conv1 bn grad', inputs: { a: y1, b: [16] }, attrs: {} });
  cases.push({
    kernel: 'Concat',
    layer: 'conv1 shuffle',
    inputs: [
      [n, 28, 28, 8],
      [n, 28, 28, 8],
    ],
    attrs: { axis: 3 },
  });
  return cases;
}

/** Median ms of running `kernel` synchronously (outputs disposed); one sample if a call takes over `slowMs`. */
function timeKernel(c: KernelCase, iters: number, slowMs = 1000): number {
  const make = (shape: number[]) => tf.randomUniform(shape, 0.5, 1.5);
  const inputs = Array.isArray(c.inputs) ? c.inputs.map(make) : Object.fromEntries(Object.entries(c.inputs).map(([k, s]) => [k, make(s)]));
  const run = () => tf.dispose(tf.engine().runKernel(c.kernel, inputs as never, c.attrs as never) as tf.Tensor | tf.Tensor[]);
  const times: number[] = [];
  for (let i = 0; i < iters + 1; i++) {
    const t0 = performance.now();
    run();
    const dt = performance.now() - t0;
    if (i > 0 || dt > slowMs) times.push(dt);
    if (dt > slowMs) break;
  }
  tf.dispose(Object.values(inputs));
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const isRegistered = (kernel: string, backend: string) => tf.getKernel(kernel, backend) !== undefined;
const isReplaced = (kernel: string, backend: string) => trainingKernels.some((k) => k.kernelName === kernel && k.backendName === backend);

/** Per kernel and backend: stock ms (or why none) and, where we replace the kernel, our ms. */
async function kernelRecords(quick: boolean): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];
  const iters = quick ? 3 : 9;
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    for (const c of kernelCases(BATCH)) {
      const base = { suite: SUITE, case: `${c.kernel} ${c.layer}`, backend, shape: firstShape(c) };
      unregisterTrainingKernels();
      if (!isRegistered(c.kernel, backend)) {
        records.push({ ...base, impl: 'stock', extra: { stock: 'not registered' } });
      } else if (backend === 'cpu' && c.kernel.endsWith('BackpropFilter')) {
        const small = kernelCases(8).find((k) => k.kernel === c.kernel && k.layer === c.layer)!;
        records.push({ ...base, impl: 'stock', ms: timeKernel(small, 1, 0) * (BATCH / 8), extra: { extrapolatedFromBatch: 8 } });
      } else {
        records.push({ ...base, impl: 'stock', ms: timeKernel(c, iters) });
      }
      registerTrainingKernels();
      if (isReplaced(c.kernel, backend)) records.push({ ...base, impl: 'ours', ms: timeKernel(c, iters) });
    }
  }
  return records;
}

/** The plain net: conv3×3 16 → conv3×3/2 32 → conv3×3/2 64 (ReLU) → global average pool → dense 10. */
function plainNet(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(tfl.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
  m.add(tfl.layers.conv2d({ filters: 64, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
  m.add(tfl.layers.globalAveragePooling2d({}));
  m.add(tfl.layers.dense({ units: 10, activation: 'softmax' }));
  m.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' });
  return m;
}

/**
 * A ShuffleNetV2-style net from tf ops: stem conv3×3 24 + BN + ReLU, then units of
 * 1×1 conv → BN → ReLU → depthwise 3×3 (stride 1 or 2) → BN → 1×1 conv → BN → ReLU, with channel
 * split/concat and a reshape+transpose channel shuffle; global average pool → dense 10.
 */
function shuffleNet(): { vars: tf.Variable[]; loss: (xs: tf.Tensor4D, ys: tf.Tensor2D) => tf.Scalar } {
  const vars: tf.Variable[] = [];
  const v = (shape: number[], std = 0.1) => {
    const x = tf.variable(tf.randomNormal(shape, 0, std, 'float32', vars.length + 1));
    vars.push(x);
    return x;
  };
  const bnParams = (c: number) => ({ gamma: v([c], 0), beta: v([c], 0) });
  const bn = (x: tf.Tensor4D, p: ReturnType<typeof bnParams>) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm(x, mean, variance, p.beta, tf.add(p.gamma, 1), 1e-3) as tf.Tensor4D;
  };
  const pw = (x: tf.Tensor4D, w: tf.Variable) => tf.conv2d(x, w as tf.Tensor4D, 1, 'valid');
  const branchParams = (cin: number, c: number) => ({
    w1: v([1, 1, cin, c]),
    bn1: bnParams(c),
    dw: v([3, 3, c, 1]),
    bn2: bnParams(c),
    w2: v([1, 1, c, c]),
    bn3: bnParams(c),
  });
  const branch = (x: tf.Tensor4D, p: ReturnType<typeof branchParams>, stride: number) => {
    const y = bn(tf.depthwiseConv2d(tf.relu(bn(pw(x, p.w1), p.bn1)), p.dw as tf.Tensor4D, stride, 'same'), p.bn2);
    return tf.relu(bn(pw(y, p.w2), p.bn3));
  };
  const shuffle = (x: tf.Tensor4D) => {
    const [n, h, w, c] = x.shape;
    return tf.reshape(tf.transpose(tf.reshape(x, [n, h, w, 2, c / 2]), [0, 1, 2, 4, 3]), [n, h, w, c]) as tf.Tensor4D;
  };
  const unit = (cin: number, cout: number, stride: number) => {
    if (stride === 1) {
      const right = branchParams(cout / 2, cout / 2);
      return (x: tf.Tensor4D) => {
        const [a, b] = tf.split(x, 2, 3) as tf.Tensor4D[];
        return shuffle(tf.concat([a, branch(b, right, 1)], 3));
      };
    }
    const left = { dw: v([3, 3, cin, 1]), bn1: bnParams(cin), w: v([1, 1, cin, cout / 2]), bn2: bnParams(cout / 2) };
    const right = branchParams(cin, cout / 2);
    return (x: tf.Tensor4D) => {
      const l = tf.relu(bn(pw(bn(tf.depthwiseConv2d(x, left.dw as tf.Tensor4D, 2, 'same'), left.bn1), left.w), left.bn2));
      return shuffle(tf.concat([l, branch(x, right, 2)], 3));
    };
  };
  const stem = { w: v([3, 3, 1, 24]), bn: bnParams(24) };
  const units = [unit(24, 48, 2), unit(48, 48, 1), unit(48, 96, 2), unit(96, 96, 1)];
  const head = { w: v([96, 10]), b: v([10], 0) };
  const loss = (xs: tf.Tensor4D, ys: tf.Tensor2D) => {
    let x = tf.relu(bn(tf.conv2d(xs, stem.w as tf.Tensor4D, 1, 'same'), stem.bn));
    for (const u of units) x = u(x);
    const logits = tf.add(tf.matMul(tf.mean(x, [1, 2]) as tf.Tensor2D, head.w), head.b);
    return tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
  };
  return { vars, loss };
}

/** Training images/s of `net` at `batch`, over `steps` timed steps after 2 warm-up steps. */
async function trainingThroughput(net: 'plain' | 'shuffle', batch: number, steps: number): Promise<number> {
  const xs = tf.randomNormal([batch, 28, 28, 1]) as tf.Tensor4D;
  const ys = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32') as tf.Tensor1D, 10) as tf.Tensor2D;
  let step: () => Promise<void>, dispose: () => void;
  if (net === 'plain') {
    const model = plainNet();
    step = async () => {
      await model.trainOnBatch(xs, ys);
    };
    dispose = () => model.dispose();
  } else {
    const { vars, loss } = shuffleNet();
    const opt = tf.train.sgd(0.05);
    step = async () => {
      const l = opt.minimize(() => loss(xs, ys), true, vars)!;
      await l.data();
      l.dispose();
    };
    dispose = () => {
      tf.dispose(vars);
      opt.dispose();
    };
  }
  for (let i = 0; i < 2; i++) await step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const seconds = (performance.now() - t0) / 1000;
  dispose();
  tf.dispose([xs, ys]);
  return (batch * steps) / seconds;
}

async function trainingRecords(quick: boolean): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];
  registerTrainingKernels();
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    for (const net of ['plain', 'shuffle'] as const) {
      const steps = backend === 'wasm' ? (quick ? 5 : 20) : quick ? 2 : 5;
      records.push({
        suite: SUITE,
        case: `train ${net}`,
        backend,
        impl: 'ours',
        shape: [BATCH, 28, 28, 1],
        imagesPerSec: await trainingThroughput(net, BATCH, steps),
        extra: { steps, threads: 1 },
      });
    }
  }
  if (!quick) {
    // Stock cpu trains the plain net at a few images/s: one step at batch 16 shows the scale.
    unregisterTrainingKernels();
    await tf.setBackend('cpu');
    records.push({
      suite: SUITE,
      case: 'train plain',
      backend: 'cpu',
      impl: 'stock',
      shape: [16, 28, 28, 1],
      imagesPerSec: await trainingThroughput('plain', 16, 1),
      extra: { steps: 1, note: 'batch 16' },
    });
    registerTrainingKernels();
  }
  return records;
}

const suite: BenchSuite = {
  name: SUITE,
  async run({ quick }) {
    await tf.setBackend('wasm');
    await tf.ready();
    return [...(await kernelRecords(quick)), ...(await trainingRecords(quick))];
  },
};

export default suite;
