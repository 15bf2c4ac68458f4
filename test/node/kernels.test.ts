/**
 * The training kernels of src/node/kernels on wasm and cpu against the stock `cpu` kernels
 * (captured before ours are registered); a small net with BN, depthwise convs and a channel
 * shuffle trained on cpu with the stock kernels and on wasm and cpu with ours; and a leak check
 * over 100 training steps.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers the gradients
import { registerTrainingKernels, trainingKernels, unregisterTrainingKernels } from '../../src/node/kernels/index.js';
import { TorchBatchNorm } from '../../src/layers/torch_batch_norm.js';
import { useBackend } from '../helpers/backends.js';
import { CHANNEL_SHUFFLE_MERGE, CHANNEL_SHUFFLE_SPLIT, channelShuffleSplit } from '../../src/layers/channel_shuffle.js';
import { withCrossReplicaReducer, type CrossReplicaReducer } from '../../src/layers/cross_replica.js';
import {
  BATCH_NORM_CENTERED_SQUARES,
  BATCH_NORM_GRAD_INPUT,
  BATCH_NORM_GRAD_SUMS,
  BATCH_NORM_INFERENCE,
  BATCH_NORM_TRAIN,
  hasFusedBatchNormInference,
  hasFusedBatchNormKernels,
} from '../../src/layers/batch_norm_kernels.js';

type Attrs = Record<string, unknown>;
interface CpuBackend extends tf.KernelBackend {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.TypedArray): tf.TensorInfo;
}

/** Deterministic uniform values in [-1, 1). */
function random(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 1,
    worst = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= rtol * scale, `${what}: max |error| ${worst} > ${rtol} × ${scale}`);
}

interface Input {
  shape: number[];
  dtype?: 'float32' | 'int32';
  values?: Float32Array | Int32Array;
}

const stockCpu = new Map<string, tf.KernelFunc>();

/** Runs the stock cpu kernel (captured before registration) on the given inputs. */
function reference(kernelName: string, inputs: Record<string, Input> | Input[], attrs: Attrs): tf.TypedArray[] {
  const cpu = tf.engine().findBackend('cpu') as CpuBackend;
  const infos = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [k, cpu.makeTensorInfo(v.shape, v.dtype ?? 'float32', v.values!)]),
  );
  const outs = [
    stockCpu.get(kernelName)!({ inputs: Array.isArray(inputs) ? (Object.values(infos) as never) : infos, backend: cpu, attrs } as never),
  ].flat();
  const values = outs.map((o) => cpu.readSync(o.dataId) as tf.TypedArray);
  for (const t of [...Object.values(infos), ...outs]) cpu.disposeData(t.dataId);
  return values;
}

/** Runs the registered kernel on the current backend. */
function ours(kernelName: string, inputs: Record<string, Input> | Input[], attrs: Attrs): tf.TypedArray[] {
  return tf.tidy(() => {
    const ts = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.values!, v.shape, v.dtype ?? 'float32')]));
    const out = tf.engine().runKernel(kernelName, Array.isArray(inputs) ? (Object.values(ts) as never) : ts, attrs as never);
    return [out].flat().map((t) => (t as tf.Tensor).dataSync() as tf.TypedArray);
  });
}

function withValues(inputs: Record<string, Input> | Input[]): typeof inputs {
  let seed = 1;
  const fill = (v: Input): Input => ({
    ...v,
    values:
      v.values ??
      (v.dtype === 'int32' ? Int32Array.from(random(size(v.shape), seed++), (x) => Math.round(x * 9)) : random(size(v.shape), seed++)),
  });
  return Array.isArray(inputs) ? inputs.map(fill) : Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, fill(v)]));
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Checks the registered kernel on `backends` against the stock cpu kernel. */
async function check(
  kernelName: string,
  rawInputs: Record<string, Input> | Input[],
  attrs: Attrs,
  what: string,
  backends: string[] = ['wasm:simd', 'wasm:relaxed-simd', 'cpu'],
) {
  const inputs = withValues(rawInputs);
  const expected = reference(kernelName, inputs, attrs);
  for (const backend of backends) {
    await useBackend(backend);
    const actual = ours(kernelName, inputs, attrs);
    assert.equal(actual.length, expected.length, `${what} on ${backend}: outputs`);
    actual.forEach((a, i) => assertClose(a, expected[i], `${kernelName} ${what} on ${backend}${actual.length > 1 ? ` output ${i}` : ''}`));
  }
}

/** Forward-convolution geometry as [x, filter, strides, pad, dimRoundingMode?]. */
type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
const convCases: [number[], number[], number | [number, number], Pad, ('ceil' | 'floor')?][] = [
  [[1, 5, 5, 3], [3, 3, 3, 4], 1, 'same'],
  [[7, 6, 6, 2], [3, 3, 2, 5], 2, 'same'],
  [[7, 7, 7, 4], [3, 3, 4, 8], 2, 'valid'],
  [[1, 8, 9, 5], [2, 2, 5, 3], [2, 1], 'valid'],
  [[7, 9, 8, 1], [3, 3, 1, 6], 1, 'valid'],
  [[2, 6, 7, 8], [1, 1, 8, 12], 1, 'valid'],
  [[2, 7, 6, 3], [1, 1, 3, 4], 2, 'same'],
  [[2, 6, 6, 3], [4, 4, 3, 2], 2, 'same'],
  [
    [3, 6, 6, 3],
    [3, 3, 3, 2],
    1,
    [
      [0, 0],
      [1, 2],
      [2, 1],
      [0, 0],
    ],
  ],
  [[2, 7, 7, 3], [3, 3, 3, 2], 2, 1],
  [[2, 8, 8, 3], [3, 3, 3, 2], 2, 0, 'ceil'],
  [[2, 8, 8, 3], [3, 3, 3, 2], 2, 0, 'floor'],
];

/** Output shape of the forward convolution. */
function convOutShape(
  x: number[],
  f: number[],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode?: string,
  depthwise = false,
): number[] {
  const info = tf.backend_util.computeConv2DInfo(x as never, f as never, strides, 1, pad as never, dimRoundingMode as never, depthwise);
  return info.outShape;
}

before(async () => {
  await tf.setBackend('cpu');
  await tf.setBackend('wasm');
  // acon's own kernels (the fused batch norm) have no stock counterpart.
  for (const { kernelName } of trainingKernels) {
    const stock = tf.getKernel(kernelName, 'cpu');
    if (stock) stockCpu.set(kernelName, stock.kernelFunc);
  }
  registerTrainingKernels();
});

after(() => unregisterTrainingKernels());

describe('registration', () => {
  test('is idempotent, replaces the stock kernels and restores them', () => {
    const ourSum = tf.getKernel('Sum', 'wasm');
    unregisterTrainingKernels();
    assert.notEqual(tf.getKernel('Sum', 'wasm'), ourSum);
    assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined);
    registerTrainingKernels();
    registerTrainingKernels();
    for (const k of trainingKernels) assert.equal(tf.getKernel(k.kernelName, k.backendName), k, `${k.backendName}/${k.kernelName}`);
  });
});

describe('conv2d and its gradients', () => {
  for (const [x, f, strides, pad, dimRoundingMode] of convCases) {
    const what = `x=[${x}] f=[${f}] strides=${strides} pad=${JSON.stringify(pad)}${dimRoundingMode ? ` ${dimRoundingMode}` : ''}`;
    const dyShape = () => convOutShape(x, f, strides, pad, dimRoundingMode);
    test(`Conv2D ${what}`, () =>
      check(
        'Conv2D',
        { x: { shape: x }, filter: { shape: f } },
        { strides, pad, dataFormat: 'NHWC', dilations: 1, dimRoundingMode },
        what,
      ));
    test(`FusedConv2D with a bias ${what}`, () =>
      check(
        'FusedConv2D',
        { x: { shape: x }, filter: { shape: f }, bias: { shape: [f[3]] } },
        { strides, pad, dataFormat: 'NHWC', dilations: 1, dimRoundingMode, activation: 'linear' },
        what,
      ));
    test(`Conv2DBackpropFilter ${what}`, () =>
      check(
        'Conv2DBackpropFilter',
        { x: { shape: x }, dy: { shape: dyShape() } },
        { strides, pad, dataFormat: 'NHWC', dimRoundingMode, filterShape: f },
        what,
      ));
    test(`Conv2DBackpropInput ${what}`, () =>
      check(
        'Conv2DBackpropInput',
        { dy: { shape: dyShape() }, filter: { shape: f } },
        { strides, pad, dataFormat: 'NHWC', dimRoundingMode, inputShape: x },
        what,
      ));
  }
  test('FusedConv2D with an activation is left to the stock kernel, with the same results', () =>
    check(
      'FusedConv2D',
      { x: { shape: [2, 6, 6, 3] }, filter: { shape: [3, 3, 3, 4] }, bias: { shape: [4] } },
      { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, activation: 'relu' },
      'relu',
    ));
  test('batches whose im2col exceeds the scratch budget are taken in chunks', async () => {
    // 15 images of 64×64×16 under a 3×3 filter make 8.8M im2col floats, over the 8M budget.
    const [x, f] = [
      [15, 64, 64, 16],
      [3, 3, 16, 4],
    ];
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
    const inputs = withValues({ x: { shape: x }, dy: { shape: [15, 64, 64, 4] }, filter: { shape: f } }) as Record<string, Input>;
    const image = (v: Input, n: number): Input => {
      const per = size(v.shape) / v.shape[0];
      return { shape: [1, ...v.shape.slice(1)], values: v.values!.slice(n * per, (n + 1) * per) };
    };
    for (const backend of ['wasm:simd', 'wasm:relaxed-simd', 'cpu']) {
      await useBackend(backend);
      const filterGrad = (i: Record<string, Input>) => ours('Conv2DBackpropFilter', { x: i.x, dy: i.dy }, { ...attrs, filterShape: f })[0];
      const inputGrad = (i: Record<string, Input>) =>
        ours('Conv2DBackpropInput', { dy: i.dy, filter: i.filter }, { ...attrs, inputShape: [i.x.shape[0], ...x.slice(1)] })[0];
      const perImage = Array.from({ length: 15 }, (_, n) => ({ x: image(inputs.x, n), dy: image(inputs.dy, n), filter: inputs.filter }));
      const summed = new Float32Array(size(f));
      for (const i of perImage) filterGrad(i).forEach((v, j) => (summed[j] += v));
      assertClose(filterGrad(inputs), summed, `chunked filter gradient on ${backend}`);
      assertClose(
        inputGrad(inputs),
        Float32Array.from(perImage.flatMap((i) => Array.from(inputGrad(i)))),
        `chunked input gradient on ${backend}`,
      );
    }
  });
  test('NCHW is rejected with a clear error', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 3, 5, 5]),
      dy = tf.zeros([1, 2, 5, 5]);
    assert.throws(
      () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
          strides: 1,
          pad: 'same',
          dataFormat: 'NCHW',
          filterShape: [3, 3, 3, 2],
        } as never),
      /dataFormat 'NCHW' is not supported/,
    );
    tf.dispose([x, dy]);
  });
});

describe('depthwise conv2d gradients', () => {
  const cases: [number[], number[], number, Pad][] = [
    [[1, 6, 6, 3], [3, 3, 3, 1], 1, 'same'],
    [[7, 7, 7, 4], [3, 3, 4, 1], 2, 'same'],
    [[7, 8, 7, 5], [3, 3, 5, 2], 2, 'valid'],
    [[1, 9, 9, 6], [3, 3, 6, 2], 1, 'valid'],
    [[2, 6, 5, 3], [2, 2, 3, 2], 2, 'same'],
    [
      [2, 7, 7, 4],
      [3, 3, 4, 1],
      1,
      [
        [0, 0],
        [2, 1],
        [1, 0],
        [0, 0],
      ],
    ],
  ];
  for (const [x, f, strides, pad] of cases) {
    const what = `x=[${x}] f=[${f}] strides=${strides} pad=${JSON.stringify(pad)}`;
    const dyShape = () => convOutShape(x, f, strides, pad, undefined, true);
    test(`DepthwiseConv2dNativeBackpropFilter ${what}`, () =>
      check(
        'DepthwiseConv2dNativeBackpropFilter',
        { x: { shape: x }, dy: { shape: dyShape() } },
        { strides, dilations: 1, pad, filterShape: f },
        what,
      ));
    test(`DepthwiseConv2dNativeBackpropInput ${what}`, () =>
      check(
        'DepthwiseConv2dNativeBackpropInput',
        { dy: { shape: dyShape() }, filter: { shape: f } },
        { strides, dilations: 1, pad, inputShape: x },
        what,
      ));
  }
  test('dilations > 1 are rejected with a clear error', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 7, 7, 2]),
      dy = tf.zeros([1, 3, 3, 2]);
    assert.throws(
      () =>
        tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, {
          strides: 1,
          dilations: 2,
          pad: 'valid',
          filterShape: [3, 3, 2, 1],
        } as never),
      /dilations 2 are not supported/,
    );
    tf.dispose([x, dy]);
  });
});

describe('reductions', () => {
  const cases: [number[], number[], boolean][] = [
    [[7, 6, 5, 4], [0, 1, 2], false],
    [[7, 6, 5, 4], [1, 2], true],
    [[7, 6, 5, 3], [3], false],
    [[1, 6, 5, 4], [0, 1, 2], true],
    [[300, 7], [0], false],
    [[5, 4], [], false],
    [[7, 6, 5, 4], [0, 2], false],
  ];
  for (const kernelName of ['Sum', 'Mean']) {
    for (const [shape, axis, keepDims] of cases) {
      test(`${kernelName} [${shape}] axes [${axis}] keepDims ${keepDims}`, () =>
        check(kernelName, { x: { shape } }, { axis, keepDims }, `[${shape}]`));
    }
  }
  test('Sum of int32 (stock)', () => check('Sum', { x: { shape: [4, 5], dtype: 'int32' } }, { axis: [0], keepDims: false }, 'int32'));
});

describe('broadcasting arithmetic', () => {
  const pairs: [number[], number[]][] = [
    [[7, 5, 4, 6], [6]],
    [
      [1, 1, 1, 6],
      [7, 5, 4, 6],
    ],
    [
      [7, 5, 4, 6],
      [7, 1, 1, 6],
    ],
    [[7, 5, 4, 6], []],
    [
      [7, 5, 4, 6],
      [7, 5, 4, 6],
    ],
    [
      [6, 5],
      [6, 1],
    ],
    [
      [3, 1, 4],
      [1, 5, 4],
    ],
  ];
  for (const kernelName of ['Add', 'Sub', 'Multiply', 'RealDiv']) {
    for (const [a, b] of pairs) {
      test(`${kernelName} [${a}] [${b}]`, () => check(kernelName, { a: { shape: a }, b: { shape: b } }, {}, `[${a}] [${b}]`));
    }
  }
  test('Add of int32 (stock)', () =>
    check('Add', { a: { shape: [3, 4], dtype: 'int32' }, b: { shape: [4], dtype: 'int32' } }, {}, 'int32'));
  test('float32 operands cast from int32 and bool on cpu (relabelled, still Int32Array/Uint8Array) are read as numbers', async () => {
    await tf.setBackend('cpu');
    const i = tf.cast(tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32'), 'float32');
    const b = tf.cast(tf.tensor1d([true, false, true, true], 'bool'), 'float32');
    assert.deepEqual(Array.from(tf.mul(i, tf.tensor1d([0.5, 0.5, 2, 2])).dataSync()), [0.5, 1, 6, 8]);
    assert.deepEqual(Array.from(tf.add(b, tf.scalar(0.25)).dataSync()), [1.25, 0.25, 1.25, 1.25]);
    assert.deepEqual(Array.from(tf.sum(i, 1).dataSync()), [10]);
    tf.dispose([i, b]);
  });
});

describe('batch norm and data movement', () => {
  test('FusedBatchNorm per channel, with and without scale and offset', async () => {
    const x = { shape: [7, 5, 4, 6] };
    const variance = { shape: [6], values: random(6, 9).map((v) => v + 1.5) };
    await check(
      'FusedBatchNorm',
      { x, mean: { shape: [6] }, variance, offset: { shape: [6] }, scale: { shape: [6] } },
      { varianceEpsilon: 1e-3 },
      'full',
    );
    await check('FusedBatchNorm', { x, mean: { shape: [6] }, variance }, { varianceEpsilon: 1e-3 }, 'no scale/offset');
  });
  test('Tile', async () => {
    await check('Tile', { x: { shape: [1, 1, 1, 6] } }, { reps: [7, 5, 4, 1] }, 'batch-norm gradient');
    await check('Tile', { x: { shape: [2, 3, 4] } }, { reps: [3, 1, 2] }, 'general');
    await check('Tile', { x: { shape: [3, 2], dtype: 'int32' } }, { reps: [2, 5] }, 'int32');
    await check('Tile', { x: { shape: [5] } }, { reps: [0] }, 'empty');
  });
  test('Concat and SplitV along the channels', async () => {
    await check('Concat', [{ shape: [7, 5, 4, 3] }, { shape: [7, 5, 4, 5] }], { axis: 3 }, 'channels');
    await check('Concat', [{ shape: [2, 3] }, { shape: [4, 3] }], { axis: 0 }, 'rows');
    await check('SplitV', { x: { shape: [7, 5, 4, 8] } }, { numOrSizeSplits: 2, axis: 3 }, 'halves');
    await check('SplitV', { x: { shape: [7, 5, 4, 8] } }, { numOrSizeSplits: [3, 5], axis: -1 }, 'sizes');
  });
  test('the channel shuffle split and merge: the composition bit for bit, forward and gradient; bad input named', async () => {
    const composed = (x: tf.Tensor) => {
      const lead = x.shape.slice(0, -1);
      const pairs = tf.reshape(x, [...lead, x.shape[x.rank - 1] / 2, 2]);
      return tf.split(tf.reshape(tf.transpose(pairs, [...lead.map((_, i) => i), x.rank, x.rank - 1]), x.shape), 2, x.rank - 1);
    };
    const run = (split: (x: tf.Tensor) => tf.Tensor[], shape: number[]) =>
      tf.tidy(() => {
        const x = tf.tensor(random(size(shape), 17), shape);
        const half = [...shape.slice(0, -1), shape[shape.length - 1] / 2];
        const [dEven, dOdd] = [tf.tensor(random(size(half), 18), half), tf.tensor(random(size(half), 19), half)];
        const loss = (v: tf.Tensor) => {
          const [e, o] = split(v);
          return tf.add(tf.sum(tf.mul(e, dEven)), tf.sum(tf.mul(o, dOdd)));
        };
        return [...split(x), tf.grad(loss)(x)].map((t) => t.dataSync());
      });
    // The composition on cpu: the stock wasm Transpose fails on some of these shapes ("divide by zero").
    const shapes = [
      [7, 5, 4, 12],
      [3, 2],
      [5, 18],
      [2, 0, 6],
    ];
    await tf.setBackend('cpu');
    const want = shapes.map((shape) => run(composed, shape));
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      // Only one half reaching the loss: the other's gradient is zeros.
      const x = tf.tensor(random(12, 5), [2, 6]);
      const oddOnly = (split: (x: tf.Tensor) => tf.Tensor[]) => tf.grad((v: tf.Tensor) => tf.sum(tf.square(split(v)[1])))(x);
      assert.deepEqual(oddOnly(channelShuffleSplit).dataSync(), oddOnly(composed).dataSync(), `${backend}: one half used`);
      shapes.forEach((shape, i) =>
        run(channelShuffleSplit, shape).forEach((v, j) =>
          assert.deepEqual(v, want[i][j], `${backend} [${shape}] ${['even', 'odd', 'gradient'][j]}`),
        ),
      );
      assert.throws(
        () => tf.engine().runKernel(CHANNEL_SHUFFLE_SPLIT, { x: tf.zeros([2, 3]) }),
        /AconChannelShuffleSplit: .*even channel count.*\[2,3\]/,
      );
      assert.throws(
        () => tf.engine().runKernel(CHANNEL_SHUFFLE_MERGE, { even: tf.zeros([2, 3]), odd: tf.zeros([2, 4]) }),
        /AconChannelShuffleMerge: even and odd must be float32 of one shape/,
      );
    }
  });
  test('Identity and same-dtype Cast share data', async () => {
    await check('Identity', { x: { shape: [3, 4] } }, {}, 'identity');
    await check('Cast', { x: { shape: [3, 4] } }, { dtype: 'float32' }, 'same dtype');
    await check('Cast', { x: { shape: [3, 4] } }, { dtype: 'int32' }, 'to int32');
  });
});

describe('fused training batch norm', () => {
  // 600 rows: more than one block of 256 rows in the sums; C = 6 has a tail after the SIMD lanes.
  const rows = 600,
    C = 6,
    shape = [4, 10, 15, C];
  const x = random(rows * C, 21).map((v) => 3 * v + 1.5),
    dy = random(rows * C, 22);
  const perChannel = (seed: number, offset = 0) => random(C, seed).map((v) => v + offset);
  const mean = perChannel(23, 1.5),
    invStd = perChannel(24, 2),
    gamma = perChannel(25),
    beta = perChannel(26),
    a = perChannel(27),
    c0 = perChannel(28),
    c1 = perChannel(29);
  const xhat = (i: number) => (x[i] - mean[i % C]) * invStd[i % C];
  /** Per-channel float64 sums of f(i) over the rows. */
  const sums = (f: (i: number) => number) => {
    const out = new Array<number>(C).fill(0);
    for (let i = 0; i < rows * C; i++) out[i % C] += f(i);
    return out;
  };
  const t = (v: Float32Array, s = [C]) => ({ shape: s, values: v });

  for (const backend of ['wasm', 'cpu']) {
    test(`the four kernels against float64 on ${backend}`, async () => {
      await tf.setBackend(backend);
      const [sq] = ours(BATCH_NORM_CENTERED_SQUARES, { x: t(x, shape), mean: t(mean) }, {});
      assertClose(
        sq,
        sums((i) => (x[i] - mean[i % C]) ** 2),
        'centered squares',
        1e-6,
      );
      const [y] = ours(BATCH_NORM_TRAIN, { x: t(x, shape), mean: t(mean), invStd: t(invStd), gamma: t(gamma), beta: t(beta) }, {});
      assertClose(
        y,
        Array.from(x, (_, i) => xhat(i) * gamma[i % C] + beta[i % C]),
        'y',
        1e-6,
      );
      const [g] = ours(BATCH_NORM_GRAD_SUMS, { dy: t(dy, shape), x: t(x, shape), mean: t(mean), invStd: t(invStd) }, {});
      assertClose(g, [...sums((i) => dy[i]), ...sums((i) => dy[i] * xhat(i))], 'Σdy, Σdy·x̂', 1e-6);
      const [dx] = ours(
        BATCH_NORM_GRAD_INPUT,
        { dy: t(dy, shape), x: t(x, shape), mean: t(mean), invStd: t(invStd), a: t(a), c0: t(c0), c1: t(c1) },
        {},
      );
      assertClose(
        dx,
        Array.from(x, (_, i) => dy[i] * a[i % C] - c0[i % C] - xhat(i) * c1[i % C]),
        'dx',
        1e-6,
      );
      assert.throws(
        () =>
          ours(
            BATCH_NORM_TRAIN,
            { x: t(x, shape), mean: t(mean.subarray(1), [C - 1]), invStd: t(invStd), gamma: t(gamma), beta: t(beta) },
            {},
          ),
        /AconBatchNormTrain: expected float32 per-channel inputs of 6 values, got float32 \[5\]/,
      );
    });

    test(`TorchBatchNorm's synchronised path gives bit for bit what the composition gives, on ${backend}`, async () => {
      await tf.setBackend(backend);
      const alone: CrossReplicaReducer = { weight: 0.5, allReduce: (v, scale = 1) => Float64Array.from(v, (q) => q * scale) };
      const step = () => {
        const layer = new TorchBatchNorm({ momentum: 0.25 });
        layer.build([null, ...shape.slice(1)]);
        layer.setWeights([tf.tensor1d(gamma), tf.tensor1d(beta), tf.tensor1d(mean), tf.tensor1d(invStd)]);
        const xv = tf.variable(tf.tensor(x, shape));
        const vars = [xv, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
        const out = withCrossReplicaReducer(alone, () =>
          tf.tidy(() => {
            const { value, grads } = tf.variableGrads(
              () => tf.sum(tf.mul(layer.apply(xv, { training: true }) as tf.Tensor, tf.tensor(dy, shape))) as tf.Scalar,
              vars,
            );
            return [value, ...vars.map((v) => grads[v.name])].map((r) => r.dataSync());
          }),
        );
        const state = layer
          .getWeights()
          .slice(2)
          .map((w) => w.dataSync());
        xv.dispose();
        layer.weights.forEach((w) => w.dispose());
        return [...out, ...state];
      };
      assert.ok(hasFusedBatchNormKernels(), 'fused kernels registered');
      const fused = step();
      const names = [BATCH_NORM_CENTERED_SQUARES, BATCH_NORM_TRAIN, BATCH_NORM_GRAD_SUMS, BATCH_NORM_GRAD_INPUT];
      const configs = names.map((n) => tf.getKernel(n, backend)!);
      names.forEach((n) => tf.unregisterKernel(n, backend));
      try {
        assert.ok(!hasFusedBatchNormKernels());
        const composed = step();
        ['value', 'dx', 'dgamma', 'dbeta', 'running mean', 'running var'].forEach((what, i) =>
          assert.deepEqual(fused[i], composed[i], `${what} on ${backend}`),
        );
      } finally {
        configs.forEach((k) => tf.registerKernel(k));
      }
    });

    test(`TorchBatchNorm in inference: the fused kernel against float64 and bit for bit the composition, on ${backend}`, async () => {
      await tf.setBackend(backend);
      const variance = perChannel(30, 0.5).map((v) => v * v);
      const layer = new TorchBatchNorm({});
      layer.build([null, ...shape.slice(1)]);
      layer.setWeights([tf.tensor1d(gamma), tf.tensor1d(beta), tf.tensor1d(mean), tf.tensor1d(variance)]);
      const xt = tf.tensor(x, shape);
      const infer = () => tf.tidy(() => (layer.apply(xt, { training: false }) as tf.Tensor).dataSync());
      assert.ok(hasFusedBatchNormInference(), 'fused inference kernel registered');
      const fused = infer();
      assertClose(
        fused,
        Array.from(x, (v, i) => ((v - mean[i % C]) / Math.sqrt(variance[i % C] + 1e-5)) * gamma[i % C] + beta[i % C]),
        'y',
        1e-6,
      );
      const config = tf.getKernel(BATCH_NORM_INFERENCE, backend)!;
      tf.unregisterKernel(BATCH_NORM_INFERENCE, backend);
      try {
        assert.ok(!hasFusedBatchNormInference());
        assert.deepEqual(fused, infer(), `y on ${backend}`);
      } finally {
        tf.registerKernel(config);
      }
      xt.dispose();
      layer.weights.forEach((w) => w.dispose());
    });
  }
});

/** A small net with BN, depthwise convs (multipliers 1 and 2) and a channel shuffle, trained with SGD. */
function smallNet(seed: number) {
  const v = (shape: number[], scale: number) =>
    tf.variable(
      tf.tensor(
        random(size(shape), seed++).map((x) => x * scale),
        shape,
      ),
    );
  const p = {
    w1: v([3, 3, 1, 8], 0.5),
    g1: v([8], 0.1),
    b1: v([8], 0.1),
    dw: v([3, 3, 8, 2], 0.5),
    g2: v([16], 0.1),
    b2: v([16], 0.1),
    w3: v([1, 1, 8, 8], 0.3),
    dw2: v([3, 3, 16, 1], 0.5),
    wOut: v([16, 4], 0.3),
    bOut: v([4], 0.1),
  };
  const bn = (x: tf.Tensor4D, g: tf.Variable, b: tf.Variable) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm(x, mean, variance, b, tf.add(g, 1), 1e-3) as tf.Tensor4D;
  };
  const loss = (xs: tf.Tensor4D, ys: tf.Tensor2D) => {
    let x = tf.relu(bn(tf.conv2d(xs, p.w1 as tf.Tensor4D, 1, 'same'), p.g1, p.b1));
    x = tf.relu(bn(tf.depthwiseConv2d(x, p.dw as tf.Tensor4D, 2, 'same'), p.g2, p.b2));
    const [a, b] = tf.split(x, 2, 3) as tf.Tensor4D[];
    x = tf.concat([a, tf.relu(tf.conv2d(b, p.w3 as tf.Tensor4D, 1, 'valid'))], 3);
    const [n, h, w, c] = x.shape;
    x = tf.reshape(tf.transpose(tf.reshape(x, [n, h, w, 2, c / 2]), [0, 1, 2, 4, 3]), [n, h, w, c]);
    x = tf.depthwiseConv2d(x, p.dw2 as tf.Tensor4D, 1, 'valid');
    const logits = tf.add(tf.matMul(tf.mean(x, [1, 2]) as tf.Tensor2D, p.wOut), p.bOut);
    return tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
  };
  return { vars: Object.values(p), loss };
}

/** Trains the small net from fixed weights; returns the losses and the final weights. */
async function train(backend: string, steps: number, onStep?: (i: number) => void): Promise<{ losses: number[]; weights: Float32Array }> {
  await tf.setBackend(backend);
  const net = smallNet(100);
  const xs = tf.tensor4d(random(8 * 12 * 12, 7), [8, 12, 12, 1]);
  const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 3, 2, 1, 0], 'int32'), 4) as tf.Tensor2D;
  const opt = tf.train.sgd(0.5);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const l = opt.minimize(() => net.loss(xs, ys), true, net.vars)!;
    losses.push(l.dataSync()[0]);
    l.dispose();
    onStep?.(i);
  }
  const weights = Float32Array.from(net.vars.flatMap((v) => Array.from(v.dataSync())));
  tf.dispose([xs, ys, ...net.vars]);
  opt.dispose();
  return { losses, weights };
}

describe('training', () => {
  test('the loss curve on wasm (ours) and cpu (ours) matches cpu (stock)', async () => {
    unregisterTrainingKernels();
    const stock = await train('cpu', 6);
    registerTrainingKernels();
    const wasm = await train('wasm', 6);
    const cpu = await train('cpu', 6);
    assert.ok(stock.losses[5] < stock.losses[0] - 0.05, `the loss decreases: ${stock.losses}`);
    for (const [name, run] of [
      ['wasm', wasm],
      ['cpu', cpu],
    ] as const) {
      assertClose(run.losses, stock.losses, `${name} losses ${run.losses} vs stock ${stock.losses}`, 1e-4);
      assertClose(run.weights, stock.weights, `${name} weights`, 1e-4);
    }
  });

  for (const backend of ['wasm', 'cpu']) {
    test(`100 training steps on ${backend} leak no tensors`, async () => {
      const counts: number[][] = [];
      await train(backend, 100, (i) => {
        if (i === 0 || i === 99) counts.push([tf.memory().numTensors, tf.backend().numDataIds()]);
      });
      assert.deepEqual(counts[1], counts[0]);
    });
  }
});
