/**
 * The browser tests of one backend: the fused path, every golden case through the layers and the
 * op, the kernel against the float64 math on a grid of shapes and β layouts (both gates where the
 * kernel has them), the paper's bounds and limits, non-finite inputs, packed WebGL textures,
 * leaks, training with model.fit, and IndexedDB save/load. Reads use `await data()`.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { layers, ops } from '../../../src/index.js';
import { aconWasmKernelKind } from '../../../src/ops/acon/wasm.js';
import { ACON_C, ACON_C_GRAD, type AconGate } from '../../../src/ops/acon/kernel_names.js';
import { aconCDerivativeBounds } from '../../../src/math/acon.js';
import { reference } from '../../helpers/acon_reference.js';
import { assertClose, check } from '../../helpers/assert_close.js';
import { checkLayerCase, checkOpCase } from '../../helpers/golden_cases.js';
import type { GoldenCase } from '../../helpers/golden_data.js';
import { randomArray, rng } from '../../helpers/random.js';
import { GRID_SHAPES, checkLayoutGrid } from '../../helpers/layout_grid.js';
import type { TestCase } from './runner.js';

/**
 * Relative float32 tolerance per backend (golden cases and the float64 grid). cpu computes in
 * float64; wasm and the GPU kernels in float32 with their own exp; the GPU tolerance also covers
 * tfjs's own GPU ops in the layers (BatchNorm, means, the generator's matmuls).
 */
export const TOLERANCE: Record<string, number> = { cpu: 1e-5, wasm: 1e-5, webgl: 1e-5, webgpu: 1e-5 };

const SHAPES = [
  ...GRID_SHAPES,
  [1, 4, 4, 13],
  // Enough elements per gradient entry (R = 1800 for p1, p2) for the GPU reductions' two passes.
  [3, 25, 24, 3],
];

async function values(t: tf.Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}

/** The float64 reference with the hard-sigmoid gate h(z) = clip(z/6 + 1/2, 0, 1) (`kernel_names.ts`). */
function hardReference(x: Float32Array, p1: Float32Array, p2: Float32Array, beta: Float32Array, L: number[], g: Float32Array) {
  const [N, S, C, Nb, Sb, Cb] = L;
  const h = (z: number) => Math.min(1, Math.max(0, z / 6 + 0.5));
  const y = new Float64Array(x.length),
    dx = new Float64Array(x.length);
  const dp1 = new Float64Array(p1.length),
    dp2 = new Float64Array(p1.length),
    db = new Float64Array(beta.length);
  for (let n = 0, i = 0; n < N; n++)
    for (let s = 0; s < S; s++)
      for (let c = 0; c < C; c++, i++) {
        const pc = p1.length === 1 ? 0 : c;
        const bi = ((Nb === 1 ? 0 : n) * Sb + (Sb === 1 ? 0 : s)) * Cb + (Cb === 1 ? 0 : c);
        const a = p1[pc],
          b = p2[pc],
          d = (a - b) * x[i],
          z = beta[bi] * d;
        const hs = h(z),
          ht = h(-z),
          dh = z > -3 && z < 3 ? 1 / 6 : 0;
        const k = hs + z * dh,
          k2 = ht - z * dh;
        y[i] = x[i] * (a * hs + b * ht);
        dx[i] = g[i] * (a * k + b * k2);
        dp1[pc] += g[i] * x[i] * k;
        dp2[pc] += g[i] * x[i] * k2;
        db[bi] += g[i] * d * d * dh;
      }
  return { y, dx, dp1, dp2, db };
}

function layoutGrid(rtol: number): TestCase {
  return {
    name: 'matches the float64 math for every rank, β layout and parameter sharing (C not divisible by 4, batch 1)',
    run: () => checkLayoutGrid(SHAPES, rtol),
  };
}

/** The kernels called directly in the canonical layout, with the hard-sigmoid gate. */
function hardSigmoidGrid(backend: string, rtol: number): TestCase {
  return {
    name: "the 'hardSigmoid' gate matches its float64 math for every β layout",
    run: async () => {
      const r = rng(20);
      for (const [N, S, C] of [
        [2, 6, 5],
        [1, 9, 8],
        [3, 700, 3],
      ])
        for (const [Nb, Sb, Cb] of [
          [1, 1, C],
          [1, 1, 1],
          [N, 1, C],
          [N, 1, 1],
          [N, S, C],
        ])
          for (const Cp of [C, 1]) {
            const x = randomArray(r, N * S * C, 4),
              g = randomArray(r, N * S * C);
            const p1 = randomArray(r, Cp),
              p2 = randomArray(r, Cp),
              beta = randomArray(r, Nb * Sb * Cb, 2);
            const ref = hardReference(x, p1, p2, beta, [N, S, C, Nb, Sb, Cb], g);
            const ins = { x: tf.tensor(x, [N, S, C]), p1: tf.tensor(p1), p2: tf.tensor(p2), beta: tf.tensor(beta, [Nb, Sb, Cb]) };
            const dy = tf.tensor(g, [N, S, C]);
            const attrs = { gate: 'hardSigmoid' as AconGate };
            const y = tf.engine().runKernel(ACON_C, ins, attrs) as tf.Tensor;
            const grads = tf.engine().runKernel(ACON_C_GRAD, { ...ins, dy }, attrs) as tf.Tensor[];
            const what = `hardSigmoid x [${N},${S},${C}] β [${Nb},${Sb},${Cb}] Cp ${Cp}`;
            const sumTol = { rtol, atolRel: rtol * Math.sqrt(N * S * C) };
            assertClose(await values(y), ref.y, `${what}: y`, { rtol, atolRel: rtol });
            assertClose(await values(grads[0]), ref.dx, `${what}: dx`, { rtol, atolRel: rtol });
            assertClose(await values(grads[1]), ref.dp1, `${what}: dp1`, sumTol);
            assertClose(await values(grads[2]), ref.dp2, `${what}: dp2`, sumTol);
            assertClose(await values(grads[3]), ref.db, `${what}: dβ`, sumTol);
            tf.dispose([y, ...grads, ...Object.values(ins), dy]);
          }
    },
  };
}

const propertyTests: TestCase[] = [
  {
    name: "its derivative stays within the paper's bounds on a grid of x, p1 > p2 and β",
    run: async () => {
      const x = tf.reshape(tf.linspace(-40, 40, 4001), [4001, 1]);
      for (const [p1, p2] of [
        [1.2, -0.8],
        [1, 0],
        [0.3, 0.25],
      ])
        for (const beta of [0.25, 1, 4, 16, 100]) {
          const grad = tf.grad((v: tf.Tensor) => tf.sum(ops.aconC(v, [p1], [p2], [beta])))(x);
          const d = await values(grad);
          grad.dispose();
          const { lower, upper } = aconCDerivativeBounds(p1, p2);
          let lo = Infinity,
            hi = -Infinity;
          for (const v of d) ((lo = Math.min(lo, v)), (hi = Math.max(hi, v)));
          const slack = 1e-5 * (1 + Math.abs(p1) + Math.abs(p2));
          check(
            lo >= lower - slack && hi <= upper + slack,
            `p1=${p1} p2=${p2} β=${beta}: f' in [${lo}, ${hi}], bounds [${lower}, ${upper}]`,
          );
          if (beta * (p1 - p2) * 40 > 20)
            check(
              Math.abs(d[0] - p2) < 1e-3 && Math.abs(d[d.length - 1] - p1) < 1e-3,
              `p1=${p1} p2=${p2} β=${beta}: f'(±40) → ${d[d.length - 1]}, ${d[0]}`,
            );
        }
      x.dispose();
    },
  },
  {
    name: 'β = 0 gives the mean of p1x and p2x, p1 = p2 gives p2x, large β gives max(p1x, p2x)',
    run: async () => {
      const r = rng(12);
      const x = randomArray(r, 6 * 8, 4),
        p1 = randomArray(r, 8),
        p2 = randomArray(r, 8);
      const xt = tf.tensor(x, [6, 8]);
      const at = async (beta: number, q1 = p1, q2 = p2) => {
        const y = ops.aconC(xt, q1, q2, [beta]);
        const v = await values(y);
        y.dispose();
        return v;
      };
      const [mean, same, hard] = [await at(0), await at(-1.7, p2, p2), await at(1e4)];
      for (let i = 0; i < x.length; i++) {
        const c = i % 8;
        const ulp = 2 ** -22 * Math.max(Math.abs(p1[c] * x[i]), Math.abs(p2[c] * x[i]));
        check(
          Math.abs(mean[i] - (p1[c] * x[i] + p2[c] * x[i]) / 2) <= ulp,
          `β = 0 at ${i}: ${mean[i]} vs ${(p1[c] * x[i] + p2[c] * x[i]) / 2}`,
        );
        check(Math.abs(same[i] - p2[c] * x[i]) <= 2 ** -23 * Math.abs(p2[c] * x[i]), `p1 = p2 at ${i}: ${same[i]} vs ${p2[c] * x[i]}`);
        check(Math.abs(hard[i] - Math.max(p1[c] * x[i], p2[c] * x[i])) < 1e-3, `β large at ${i}: ${hard[i]}`);
      }
      xt.dispose();
    },
  },
  {
    name: 'finite values and gradients for |x| up to 3e38 with finite parameters, any β sign',
    run: async () => {
      const xv = [3e38, -3e38, 1e30, -1e30, 1e-30, -1e-30, 0, 1e-45, 88, -88, 1000, -1000];
      const x = tf.tensor(
        xv.flatMap((v) => [v, v, v]),
        [xv.length, 3],
      );
      const p1 = tf.tensor([1, 0.5, 1.1]),
        p2 = tf.tensor([0, -0.5, 1.1]);
      for (const beta of [-1e3, -1, 0, 1, 1e3, 3e38]) {
        const b = tf.tensor([beta]);
        const outs = [
          ops.aconC(x, p1, p2, b),
          ...tf.grads((a: tf.Tensor, q: tf.Tensor, w: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(ops.aconC(a, q, w, d), 1e-30)))([
            x,
            p1,
            p2,
            b,
          ]),
        ];
        const [y, dx, dp1, dp2, db] = await Promise.all(outs.map(values));
        for (const [name, v] of Object.entries({ y, dx, dp1, dp2 })) {
          check(v.every(Number.isFinite), `β=${beta}: ${name} has NaN/Inf: ${Array.from(v).slice(0, 12)}`);
        }
        check(!Number.isNaN(db[0]), `β=${beta}: dβ is NaN`);
        tf.dispose([b, ...outs]);
      }
      tf.dispose([x, p1, p2]);
    },
  },
];

interface Limits {
  y: number[];
  dx: number[];
  dp1: number[];
  dp2: number[];
  db: number[];
}

/** The kernels on x [1,1,C] with per-channel p1, p2, β (canonical layout) and dy (default 1). */
async function kernelOutputs(gate: AconGate, x: number[], p1: number[], p2: number[], beta: number[], dy?: number[]): Promise<Limits> {
  const C = x.length;
  const ins = { x: tf.tensor(x, [1, 1, C]), p1: tf.tensor(p1), p2: tf.tensor(p2), beta: tf.tensor(beta, [1, 1, C]) };
  const g = tf.tensor(dy ?? x.map(() => 1), [1, 1, C]);
  const y = tf.engine().runKernel(ACON_C, ins, { gate }) as tf.Tensor;
  const grads = tf.engine().runKernel(ACON_C_GRAD, { ...ins, dy: g }, { gate }) as tf.Tensor[];
  const [yv, dx, dp1, dp2, db] = await Promise.all([y, ...grads].map(async (t) => Array.from(await values(t))));
  tf.dispose([y, ...grads, ...Object.values(ins), g]);
  return { y: yv, dx, dp1, dp2, db };
}

function checkLimits(actual: Limits, expected: Limits, what: string): void {
  for (const key of Object.keys(expected) as (keyof Limits)[]) {
    expected[key].forEach((e, i) => {
      const a = actual[key][i];
      const ok = Number.isNaN(e) ? Number.isNaN(a) : Number.isFinite(e) ? Math.abs(a - e) <= 1e-6 * (1 + Math.abs(e)) : a === e;
      check(ok, `${what}: ${key}[${i}] is ${a}, expected ${e} (all: ${actual[key]})`);
    });
  }
}

/**
 * Non-finite inputs (kernel_names.ts): a NaN reaches exactly the outputs it enters; x = ±∞ and
 * β = ±∞ give the limits of y = x·(p1·g(z) + p2·g(−z)) and of its gradients, for both gates; huge
 * finite parameters at x = 0 give 0.
 */
const nonFiniteTest: TestCase = {
  name: 'NaN in gives NaN out, ±Inf follows the limits (both gates, forward and backward)',
  run: async () => {
    const INF = Infinity,
      nan4 = [NaN, NaN, NaN, NaN];
    for (const gate of ['sigmoid', 'hardSigmoid'] as const) {
      const at = (x: number[], p1: number[], p2: number[], beta: number[], dy?: number[]) => kernelOutputs(gate, x, p1, p2, beta, dy);
      const all = (v: number[]): Limits => ({ y: v, dx: v, dp1: v, dp2: v, db: v });
      checkLimits(await at([1, -1, 0, 2], [1.2, 1.2, 1.2, 1.2], [-0.8, -0.8, -0.8, -0.8], nan4), all(nan4), `${gate}, β = NaN`);
      // Channel 0 carries the NaN, channel 1 is ordinary (Swish at x = 1 for the sigmoid gate).
      const one = await at([1, 1], [1, 1], [0, 0], [1, 1]);
      const nanIn0 = (nanY: boolean): Limits => ({
        y: [nanY ? NaN : 0, one.y[1]],
        dx: [NaN, one.dx[1]],
        dp1: [NaN, one.dp1[1]],
        dp2: [NaN, one.dp2[1]],
        db: [NaN, one.db[1]],
      });
      checkLimits(await at([NaN, 1], [1, 1], [0, 0], [1, 1]), nanIn0(true), `${gate}, x = NaN`);
      checkLimits(await at([1, 1], [NaN, 1], [0, 0], [1, 1]), nanIn0(true), `${gate}, p1 = NaN`);
      checkLimits(await at([1, 1], [1, 1], [NaN, 0], [1, 1]), nanIn0(true), `${gate}, p2 = NaN`);
      checkLimits(await at([0, 1], [1, 1], [0, 0], [1, 1], [NaN, 1]), nanIn0(false), `${gate}, dy = NaN`);
      checkLimits(
        await at([-INF, INF], [1, 1], [0, 0], [1, 1]),
        { y: [0, INF], dx: [0, 1], dp1: [0, INF], dp2: [-INF, 0], db: [0, 0] },
        `${gate}, Swish at ±Inf`,
      );
      checkLimits(
        await at([-INF, INF], [1, 1], [0.25, 0.25], [1, 1]),
        { y: [-INF, INF], dx: [0.25, 1], dp1: [0, INF], dp2: [-INF, 0], db: [0, 0] },
        `${gate}, p2 = 0.25 at ±Inf`,
      );
      checkLimits(
        await at([-INF, INF], [1, 1], [0, 0], [-1, -1]),
        { y: [-INF, 0], dx: [1, 0], dp1: [-INF, 0], dp2: [0, INF], db: [0, 0] },
        `${gate}, β = −1 at ±Inf`,
      );
      const slope0 = gate === 'sigmoid' ? 0.25 : 1 / 6;
      checkLimits(
        await at([-INF, INF, 2], [1, 1, 1], [0.5, 0.5, 0.5], [0, 0, 0]),
        { y: [-INF, INF, 1.5], dx: [0.75, 0.75, 0.75], dp1: [-INF, INF, 1], dp2: [-INF, INF, 1], db: [INF, INF, slope0] },
        `${gate}, β = 0 at ±Inf`,
      );
      checkLimits(
        await at([0, 2, -2], [1, 1, 1], [0.5, 0.5, 0.5], [INF, INF, -INF]),
        { y: [0, 2, -2], dx: [0.75, 1, 1], dp1: [0, 2, -2], dp2: [0, 0, 0], db: [0, 0, 0] },
        `${gate}, β = ±Inf`,
      );
      checkLimits(
        await at([0, 0], [1e30, 1e30], [-1e30, -1e30], [1e30, -1e30]),
        { y: [0, 0], dx: [0, 0], dp1: [0, 0], dp2: [0, 0], db: [0, 0] },
        `${gate}, huge parameters at x = 0`,
      );
    }
  },
};

/** WebGL: inputs arriving as packed textures (a conv2d's output), C = 5 not divisible by 4. */
const packedInputTest: TestCase = {
  name: 'inputs from packed textures (conv2d output, C = 5) give the float64 result',
  run: async () => {
    check(tf.env().getBool('WEBGL_PACK'), 'WEBGL_PACK is off: the test would not exercise packed textures');
    const r = rng(30);
    const img = tf.tensor(randomArray(r, 2 * 6 * 6 * 3), [2, 6, 6, 3]);
    const filter = tf.tensor(randomArray(r, 3 * 3 * 3 * 5), [3, 3, 3, 5]);
    const x = tf.conv2d(img as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same');
    const p1 = tf.tensor(randomArray(r, 5)),
      p2 = tf.tensor(randomArray(r, 5)),
      beta = tf.tensor(randomArray(r, 2 * 5), [2, 1, 1, 5]);
    const g = tf.tensor(randomArray(r, 2 * 6 * 6 * 5), [2, 6, 6, 5]);
    const xs = await values(x);
    const ref = reference([2, 6, 6, 5], xs, await values(p1), await values(p2), await values(beta), [2, 1, 1, 5], await values(g));
    const y = ops.aconC(x, p1, p2, beta);
    assertClose(await values(y), ref.y, 'y', { rtol: 1e-5, atolRel: 1e-5 });
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(ops.aconC(a, b, c, d), g)))([
      x,
      p1,
      p2,
      beta,
    ]);
    const refs = [ref.dx, ref.dp1, ref.dp2, ref.db];
    for (const [i, t] of grads.entries()) assertClose(await values(t), refs[i], `gradient ${i}`, { rtol: 1e-5, atolRel: 1e-4 });
    tf.dispose([img, filter, x, p1, p2, beta, g, y, ...grads]);
  },
};

/** Before the fix of the launcher flags, this read zeros on SwiftShader's WebGPU (see README, "In the browser"). */
const webgpuReadbackTest: TestCase = {
  name: 'dataSync() of a GPU-resident reduction matches data() (tf.sum of [3,2,2,8] over axes 0,1,2)',
  run: async () => {
    const x = tf.reshape(tf.range(1, 97), [3, 2, 2, 8]);
    const [a, b] = [tf.sum(x, [0, 1, 2]), tf.sum(x, [0, 1, 2])];
    const expected = Array.from({ length: 8 }, (_, c) => 12 * (c + 1) + 8 * 66);
    assertClose(await values(a), expected, 'data()', { rtol: 0 });
    assertClose(b.dataSync(), expected, 'dataSync()', { rtol: 0 });
    tf.dispose([x, a, b]);
  },
};

const leakTest: TestCase = {
  name: 'no leaked tensors or backend data over repeated forward + backward of the op and the layers',
  run: async () => {
    const r = rng(40);
    const x = tf.tensor(randomArray(r, 2 * 4 * 4 * 6), [2, 4, 4, 6]);
    const aconC = layers.aconC(),
      meta = layers.metaAconC({ r: 2 });
    tf.dispose(tf.tidy(() => meta.apply(aconC.apply(x) as tf.Tensor) as tf.Tensor));
    const step = () =>
      tf.tidy(() => {
        const vars = [...aconC.trainableWeights, ...meta.trainableWeights].map((w) => w.read() as tf.Variable);
        const { value, grads } = tf.variableGrads(
          () => tf.sum(tf.square(meta.apply(aconC.apply(x) as tf.Tensor, { training: true }) as tf.Tensor)) as tf.Scalar,
          vars,
        );
        return [value, ...Object.values(grads)];
      });
    tf.dispose(step());
    const tensors = tf.memory().numTensors,
      dataIds = tf.engine().backend.numDataIds();
    for (let i = 0; i < 3; i++) {
      const outs = step();
      await Promise.all(outs.map((t) => t.data()));
      tf.dispose(outs);
    }
    check(tf.memory().numTensors === tensors, `${tf.memory().numTensors - tensors} tensors leaked`);
    check(tf.engine().backend.numDataIds() === dataIds, `${tf.engine().backend.numDataIds() - dataIds} backend data ids leaked`);
    x.dispose();
    for (const w of [...aconC.weights, ...meta.weights]) w.dispose();
  },
};

/**
 * A small conv net with AconC and MetaAconC (8×8 images, 2 classes: bright or dark). tfjs-backend-wasm
 * 4.22 has no Conv2DBackpropFilter, so on wasm the convolutions are pointwise (Dense on the feature map).
 */
function tinyNet(pointwise: boolean, plain = false): tfl.Sequential {
  const conv = (filters: number, strides: number, first: boolean) =>
    pointwise
      ? tfl.layers.dense({ units: filters, ...(first ? { inputShape: [8, 8, 1] } : {}) })
      : tfl.layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', ...(first ? { inputShape: [8, 8, 1] } : {}) });
  return tfl.sequential({
    layers: [
      conv(6, 1, true),
      plain ? tfl.layers.activation({ activation: 'relu' }) : layers.aconC({ preset: 'swish' }),
      conv(8, 2, false),
      plain ? tfl.layers.activation({ activation: 'relu' }) : layers.metaAconC({ r: 4, preset: 'swish' }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
}

function tinyData(seed: number, n: number): { xs: tf.Tensor; ys: tf.Tensor } {
  const r = rng(seed);
  const labels = Array.from({ length: n }, (_, i) => i % 2);
  const pixels = labels.flatMap((l) => Array.from({ length: 64 }, () => (l ? 0.6 : -0.6) + 0.5 * r.normal()));
  return { xs: tf.tensor(pixels, [n, 8, 8, 1]), ys: tf.oneHot(tf.tensor1d(labels, 'int32'), 2) };
}

/** Trains a fresh tiny net and disposes it: its per-epoch loss and the tensors left behind. */
async function trainOnce(pointwise: boolean, plain: boolean): Promise<{ loss: number[]; leaked: number }> {
  const before = tf.memory().numTensors;
  const model = tinyNet(pointwise, plain);
  const optimizer = tf.train.adam(0.03);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const { xs, ys } = tinyData(50, 32);
  const h = await model.fit(xs, ys, { epochs: 8, batchSize: 8, shuffle: false, verbose: 0 });
  tf.dispose([xs, ys]);
  model.dispose();
  optimizer.dispose();
  return { loss: h.history.loss as number[], leaked: tf.memory().numTensors - before };
}

function trainingTests(backend: string): TestCase[] {
  const pointwise = backend === 'wasm';
  const net = pointwise ? 'a small pointwise net (no Conv2DBackpropFilter on tfjs wasm)' : 'a small conv net';
  return [
    {
      name: `${net} with AconC and MetaAconC trains with model.fit, its loss falls, acon leaks no tensor`,
      run: async () => {
        // tfjs-layers' model.fit itself keeps a tensor per call (with ReLU as well): acon must add none.
        const plain = await trainOnce(pointwise, true);
        const { loss, leaked } = await trainOnce(pointwise, false);
        check(loss.every(Number.isFinite), `loss not finite: ${loss}`);
        check(loss[loss.length - 1] < 0.7 * loss[0], `loss did not fall: ${loss.map((l) => l.toFixed(4)).join(', ')}`);
        check(leaked <= plain.leaked, `training leaked ${leaked} tensors (the same net with ReLU: ${plain.leaked})`);
      },
    },
    {
      name: "model.save('indexeddb://…') then tf.loadLayersModel gives identical outputs",
      run: async () => {
        const model = tinyNet(pointwise);
        const { xs, ys } = tinyData(51, 16);
        const optimizer = tf.train.sgd(0.05);
        model.compile({ optimizer, loss: 'categoricalCrossentropy' });
        await model.fit(xs, ys, { epochs: 1, batchSize: 8, verbose: 0 });
        const url = `indexeddb://acon-browser-test-${backend}`;
        await model.save(url);
        const loaded = await tfl.loadLayersModel(url);
        const [a, b] = [model.predict(xs) as tf.Tensor, loaded.predict(xs) as tf.Tensor];
        const [va, vb] = [await values(a), await values(b)];
        check(
          va.every((v, i) => Object.is(v, vb[i])),
          `outputs differ after save/load: ${Array.from(va).slice(0, 4)} vs ${Array.from(vb).slice(0, 4)}`,
        );
        const names = loaded.layers.map((l) => l.getClassName());
        check(names.includes('AconC') && names.includes('MetaAconC'), `loaded layers: ${names}`);
        await tf.io.removeModel(url);
        tf.dispose([a, b, xs, ys]);
        model.dispose();
        loaded.dispose();
        optimizer.dispose();
      },
    },
  ];
}

export function backendTests(backend: string, golden: GoldenCase[] | undefined): TestCase[] {
  const rtol = TOLERANCE[backend];
  const tests: TestCase[] = [
    { name: 'takes the fused kernel path', run: () => check(ops.aconCPath() === 'fused', `aconCPath() is ${ops.aconCPath()}`) },
  ];
  if (backend === 'wasm') {
    tests.push({
      name: `runs the SIMD module on the backend's heap (${crossOriginIsolated ? 'threaded build, shared memory' : 'single-threaded build'})`,
      run: () => {
        const heap = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer;
        const shared = typeof SharedArrayBuffer === 'function' && heap instanceof SharedArrayBuffer;
        check(
          crossOriginIsolated === shared,
          `crossOriginIsolated ${crossOriginIsolated} but heap is ${heap.constructor.name}: tfjs picked an unexpected build`,
        );
        check(aconWasmKernelKind(tf.backend()) === 'simd', `the wasm kernels run the ${aconWasmKernelKind(tf.backend())} fallback`);
      },
    });
  }
  if (backend === 'webgpu') tests.push(webgpuReadbackTest);
  for (const c of golden ?? []) {
    tests.push({
      name: `golden ${c.name}: layer ${c.module} (${c.mode}) matches y, every gradient and buffers`,
      run: () => checkLayerCase(c, { rtol }),
    });
    tests.push({ name: `golden ${c.name}: op matches`, run: () => checkOpCase(c, { rtol }) });
  }
  if (!golden) tests.push({ name: 'golden vectors', skip: '../shared/golden/golden.json was not served' });
  tests.push(layoutGrid(rtol), hardSigmoidGrid(backend, rtol), ...propertyTests);
  tests.push(nonFiniteTest);
  if (backend === 'webgl') tests.push(packedInputTest);
  tests.push(leakTest, ...trainingTests(backend));
  return tests;
}
