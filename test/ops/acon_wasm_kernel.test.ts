/**
 * The fused ACON-C kernels of the wasm backend (WebAssembly SIMD, `src/ops/acon/wasm.ts`) against
 * the cpu backend's reference kernels (`cpu.ts`, float64 arithmetic), called directly through
 * `runKernel` in the canonical layout: every β layout, Cp ∈ {1, C}, channel counts around the
 * 4-lane vector width, long parameter-gradient sums, and extreme inputs.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { aconCCpuKernels } from '../../src/ops/acon/cpu.js';
import { ACON_C, ACON_C_GRAD } from '../../src/ops/acon/kernel_names.js';
import { aconWasmKernelKind, registerAconCWasmKernels } from '../../src/ops/acon/wasm.js';
import { mulberry32 } from '../../src/util/random.js';
import { useBackend } from '../helpers/backends.js';

const rng = mulberry32;

interface Case {
  what: string;
  N: number;
  S: number;
  C: number;
  Cp: number;
  bShape: [number, number, number];
  x: Float32Array;
  p1: Float32Array;
  p2: Float32Array;
  beta: Float32Array;
  dy: Float32Array;
  gate?: 'sigmoid' | 'hardSigmoid';
}

interface Outputs {
  y: Float32Array;
  dx: Float32Array;
  dp1: Float32Array;
  dp2: Float32Array;
  db: Float32Array;
  shapes: number[][];
}

async function runOn(backend: 'cpu' | 'wasm', k: Case): Promise<Outputs> {
  assert.ok(await tf.setBackend(backend), `backend ${backend}`);
  await tf.ready();
  const x = tf.tensor3d(k.x, [k.N, k.S, k.C]),
    dy = tf.tensor3d(k.dy, [k.N, k.S, k.C]);
  const p1 = tf.tensor1d(k.p1),
    p2 = tf.tensor1d(k.p2),
    beta = tf.tensor3d(k.beta, k.bShape);
  const attrs = { gate: k.gate ?? 'sigmoid' };
  const y = tf.engine().runKernel(ACON_C, { x, p1, p2, beta }, attrs) as tf.Tensor;
  const g = tf.engine().runKernel(ACON_C_GRAD, { x, p1, p2, beta, dy }, attrs) as tf.Tensor[];
  const out: Outputs = {
    y: y.dataSync() as Float32Array,
    dx: g[0].dataSync() as Float32Array,
    dp1: g[1].dataSync() as Float32Array,
    dp2: g[2].dataSync() as Float32Array,
    db: g[3].dataSync() as Float32Array,
    shapes: [y.shape, ...g.map((t) => t.shape)],
  };
  tf.dispose([x, dy, p1, p2, beta, y, ...g]);
  return out;
}

/**
 * Per output element, the magnitude its rounding error scales with (float64, from the inputs):
 * y ~ |x|(|p1|+|p2|), dx ~ |dy|(|p1|+|p2|)·1.3, dp ~ Σ|dy·x|·1.3, dβ ~ Σ|dy|·d²/4 over the summed terms.
 */
function scales(k: Case) {
  const {
    N,
    S,
    C,
    Cp,
    bShape: [Nb, Sb, Cb],
  } = k;
  const y = new Float64Array(N * S * C),
    dx = new Float64Array(N * S * C);
  const dp = new Float64Array(Cp),
    db = new Float64Array(Nb * Sb * Cb);
  for (let n = 0, i = 0; n < N; n++) {
    for (let s = 0; s < S; s++) {
      for (let c = 0; c < C; c++, i++) {
        const pc = Cp === 1 ? 0 : c,
          bi = ((Nb === 1 ? 0 : n) * Sb + (Sb === 1 ? 0 : s)) * Cb + (Cb === 1 ? 0 : c);
        const x = k.x[i],
          g = k.dy[i],
          a = k.p1[pc],
          b = k.p2[pc],
          d = (a - b) * x;
        y[i] = Math.abs(x) * (Math.abs(a) + Math.abs(b));
        dx[i] = 1.3 * Math.abs(g) * (Math.abs(a) + Math.abs(b));
        dp[pc] += 1.3 * Math.abs(g * x);
        db[bi] += (Math.abs(g) * d * d) / 4;
      }
    }
  }
  return { y, dx, dp, db };
}

/** |got − want| ≤ rtol·|want| + atol·scale[i]; non-finite values must agree exactly; never NaN. */
function assertNear(
  got: Float32Array,
  want: Float32Array,
  scale: Float64Array,
  what: string,
  rtol: number,
  atol: number,
  skip: (i: number) => boolean = () => false,
): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i],
      w = want[i];
    assert.ok(!Number.isNaN(g), `${what}[${i}]: NaN (expected ${w})`);
    if (skip(i)) continue;
    if (!Number.isFinite(w) || !Number.isFinite(g)) {
      assert.ok(Object.is(g, w), `${what}[${i}]: got ${g}, expected ${w}`);
      continue;
    }
    const tol = rtol * Math.abs(w) + atol * scale[i] + 1e-37;
    assert.ok(Math.abs(g - w) <= tol, `${what}[${i}]: got ${g}, expected ${w} (|diff| ${Math.abs(g - w)} > tol ${tol})`);
  }
}

async function compare(k: Case, opts: { rtol?: number; atol?: number; atolSum?: number } = {}): Promise<Outputs> {
  const rtol = opts.rtol ?? 1e-5,
    atol = opts.atol ?? 1e-6,
    atolSum = opts.atolSum ?? 1e-6;
  const want = await runOn('cpu', k),
    got = await runOn('wasm', k);
  assert.deepEqual(got.shapes, [[k.N, k.S, k.C], [k.N, k.S, k.C], [k.Cp], [k.Cp], k.bShape], `${k.what}: output shapes`);
  const sc = scales(k);
  // Documented float32 limit: z is formed as (β·(p1 − p2))·x, so where β·(p1 − p2) itself overflows
  // the kernel sees a saturated z; that differs from the exact z only for |x| < 88/FLT_MAX, and there
  // only dx (through σ(±z)) is visibly affected. At x = 0 the kernel must still give z = 0.
  const overflowedZ = (i: number) => {
    const c = i % k.C,
      pc = k.Cp === 1 ? 0 : c,
      [Nb, Sb, Cb] = k.bShape,
      n = Math.floor(i / (k.S * k.C)),
      s = Math.floor(i / k.C) % k.S;
    const b = k.beta[((Nb === 1 ? 0 : n) * Sb + (Sb === 1 ? 0 : s)) * Cb + (Cb === 1 ? 0 : c)];
    return !Number.isFinite(Math.fround(b * Math.fround(k.p1[pc] - k.p2[pc]))) && k.x[i] !== 0 && Math.abs(k.x[i]) < 88 / 3.4e38;
  };
  assertNear(got.y, want.y, sc.y, `${k.what}: y`, rtol, atol);
  assertNear(got.dx, want.dx, sc.dx, `${k.what}: dx`, rtol, atol, overflowedZ);
  assertNear(got.dp1, want.dp1, sc.dp, `${k.what}: dp1`, rtol, atolSum);
  assertNear(got.dp2, want.dp2, sc.dp, `${k.what}: dp2`, rtol, atolSum);
  assertNear(got.db, want.db, sc.db, `${k.what}: dβ`, rtol, atolSum);
  return got;
}

const LAYOUTS = {
  'shared [1,1,1]': (N: number, S: number, C: number) => [1, 1, 1],
  'per channel [1,1,C]': (N: number, S: number, C: number) => [1, 1, C],
  'per sample-channel [N,1,C]': (N: number, S: number, C: number) => [N, 1, C],
  'per sample [N,1,1]': (N: number, S: number, C: number) => [N, 1, 1],
  'full [N,S,C]': (N: number, S: number, C: number) => [N, S, C],
  'per position [1,S,1]': (N: number, S: number, C: number) => [1, S, 1],
  'per position-channel [1,S,C]': (N: number, S: number, C: number) => [1, S, C],
  'per sample-position [N,S,1]': (N: number, S: number, C: number) => [N, S, 1],
} as const;

function randomCase(what: string, N: number, S: number, C: number, Cp: number, bShape: number[], seed: number): Case {
  const r = rng(seed),
    u = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
  const size = bShape[0] * bShape[1] * bShape[2];
  return {
    what,
    N,
    S,
    C,
    Cp,
    bShape: bShape as [number, number, number],
    x: u(N * S * C, -4, 4),
    p1: u(Cp, -1.5, 1.5),
    p2: u(Cp, -1.5, 1.5),
    beta: u(size, -3, 3),
    dy: u(N * S * C, -1, 1),
  };
}

before(async () => {
  for (const k of aconCCpuKernels) if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
  assert.equal(registerAconCWasmKernels(), true, 'the SIMD module compiles in Node 20');
  assert.equal(registerAconCWasmKernels(), true, 'registering twice is harmless');
  assert.ok(tf.getKernel(ACON_C, 'wasm') && tf.getKernel(ACON_C_GRAD, 'wasm'));
  assert.ok(await tf.setBackend('wasm'), 'wasm backend initialises');
});

// Each build of the module: plain SIMD, and relaxed SIMD (fused multiply-adds) as acon/node runs it.
for (const build of ['simd', 'relaxed-simd'] as const)
  describe(`the ${build} build`, () => {
    before(() => useBackend(`wasm:${build}`));

    describe('AconC wasm SIMD kernels vs the cpu reference kernels', () => {
      it('every β layout, Cp ∈ {1, C}, C ∈ {1,3,4,5,8,17,32}', async () => {
        const r = rng(7);
        let seed = 100;
        for (const C of [1, 3, 4, 5, 8, 17, 32]) {
          for (const Cp of C === 1 ? [1] : [1, C]) {
            for (const [name, shapeOf] of Object.entries(LAYOUTS)) {
              // N, S ≥ 2 so that every broadcast axis is really summed over.
              const N = 2 + Math.floor(r() * 3),
                S = 2 + Math.floor(r() * 6);
              await compare(randomCase(`C=${C} Cp=${Cp} β ${name} x [${N},${S},${C}]`, N, S, C, Cp, shapeOf(N, S, C), seed++));
            }
          }
        }
      });

      it('the hard-sigmoid gate: every β layout, Cp ∈ {1, C}, C ∈ {1,5,8,17}', async () => {
        const r = rng(8);
        let seed = 300;
        for (const C of [1, 5, 8, 17]) {
          for (const Cp of C === 1 ? [1] : [1, C]) {
            for (const [name, shapeOf] of Object.entries(LAYOUTS)) {
              const N = 2 + Math.floor(r() * 3),
                S = 2 + Math.floor(r() * 6);
              const k = randomCase(`hard gate C=${C} Cp=${Cp} β ${name} x [${N},${S},${C}]`, N, S, C, Cp, shapeOf(N, S, C), seed++);
              await compare({ ...k, gate: 'hardSigmoid' });
            }
          }
        }
      });

      it('single rows and samples (N = 1, S = 1)', async () => {
        let seed = 500;
        for (const [N, S] of [
          [1, 1],
          [1, 6],
          [5, 1],
        ]) {
          for (const C of [1, 4, 7]) {
            for (const Cp of C === 1 ? [1] : [1, C]) {
              for (const [name, shapeOf] of Object.entries(LAYOUTS)) {
                await compare(randomCase(`N=${N} S=${S} C=${C} Cp=${Cp} β ${name}`, N, S, C, Cp, shapeOf(N, S, C), seed++));
              }
            }
          }
        }
      });

      it('parameter gradients summed over 64,000 rows stay accurate to ~1e-6 of Σ|terms|', async () => {
        // Every term has the same sign (dy > 0, x > 0, p1 > p2 ≥ 0, β > 0 → k, k2, s·t > 0), so the sums
        // do not cancel and a float32 running sum (error ~1e-4 here) would fail the 1e-6 tolerance.
        const N = 16,
          S = 4000,
          C = 3,
          r = rng(99);
        const u = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
        for (const [Cp, bShape] of [
          [C, [1, 1, C]],
          [1, [1, 1, 1]],
          [C, [1, S, 1]],
          [C, [N, 1, C]],
        ] as const) {
          await compare(
            {
              what: `long sums Cp=${Cp} β [${bShape}]`,
              N,
              S,
              C,
              Cp,
              bShape: [...bShape],
              x: u(N * S * C, 0.1, 2),
              p1: u(Cp, 1, 1.5),
              p2: u(Cp, 0, 0.5),
              beta: u(bShape[0] * bShape[1] * bShape[2], 0.1, 1),
              dy: u(N * S * C, 0.5, 1),
            },
            { atolSum: 0, rtol: 1e-6 },
          );
        }
      });

      it('empty batch: y and dx empty, parameter gradients zero', async () => {
        for (const [Cp, bShape] of [
          [4, [1, 1, 4]],
          [1, [1, 1, 1]],
          [4, [1, 1, 1]],
        ] as const) {
          const got = await compare(randomCase(`N=0 Cp=${Cp} β [${bShape}]`, 0, 3, 4, Cp, [...bShape], 1));
          assert.deepEqual([...got.dp1, ...got.dp2, ...got.db], new Array(2 * Cp + bShape[2]).fill(0));
        }
      });
    });

    describe('AconC wasm SIMD kernels: the tiled paths (β constant over S, C % 4 = 0)', () => {
      /** Layouts that take the tiled paths when N·S (β shared over N) or S (β per sample) is ≥ 8. */
      const TILED = {
        'per channel [1,1,C]': (N: number, C: number) => [1, 1, C],
        'per sample-channel [N,1,C]': (N: number, C: number) => [N, 1, C],
        'per sample [N,1,1]': (N: number, C: number) => [N, 1, 1],
        'shared [1,1,1]': (N: number, C: number) => [1, 1, 1],
      } as const;

      it('both gates, Cp ∈ {1, C}, C ∈ {4, 8, 24, 32, 64, 132}, tiles of odd and even row counts', async () => {
        let seed = 900;
        for (const gate of ['sigmoid', 'hardSigmoid'] as const)
          for (const C of [4, 8, 24, 32, 64, 132])
            for (const Cp of [1, C])
              for (const [name, shapeOf] of Object.entries(TILED)) {
                const N = 3,
                  S = C === 132 ? 9 : 37;
                const k = randomCase(`${gate} C=${C} Cp=${Cp} β ${name} x [${N},${S},${C}]`, N, S, C, Cp, shapeOf(N, C), seed++);
                await compare({ ...k, gate });
              }
      });

      it('vectors with extreme finite values inside a tile, and a tile whose float32 sums overflow', async () => {
        // x = ±3e38 (z overflows: the per-vector path), dy·x = 1e60 (a float32 term overflows: the
        // tile is summed again in float64; the true dp1, dp2 are finite only in float64 and round to ±Inf).
        let seed = 950;
        for (const gate of ['sigmoid', 'hardSigmoid'] as const)
          for (const [name, shapeOf] of Object.entries(TILED)) {
            const N = 2,
              S = 20,
              C = 8;
            const k = randomCase(`${gate} extremes in tiles β ${name}`, N, S, C, C, shapeOf(N, C), seed++);
            k.x[3 * C + 1] = 3e38;
            k.x[7 * C + 6] = -3e38;
            k.x[12 * C + 2] = 1e30;
            k.dy[12 * C + 2] = 1e-25;
            k.x[25 * C + 5] = 1e20;
            k.dy[25 * C + 5] = 1e19;
            await compare({ ...k, gate });
          }
      });

      it('NaN and ±∞ inside a tile reach exactly the outputs they enter; the finite rest is unchanged', async () => {
        const N = 1,
          S = 16,
          C = 8;
        for (const gate of ['sigmoid', 'hardSigmoid'] as const) {
          const k = randomCase(`${gate} non-finite in a tile`, N, S, C, C, [1, 1, C], 990);
          k.x[5 * C + 1] = NaN;
          k.x[9 * C + 2] = Infinity;
          k.x[10 * C + 2] = -Infinity;
          k.dy[14 * C + 3] = NaN;
          const [want, got] = [await runOn('cpu', k), await runOn('wasm', k)];
          for (const key of ['y', 'dx', 'dp1', 'dp2', 'db'] as const)
            want[key].forEach((w, i) => {
              const g = got[key][i];
              const ok = Number.isFinite(w) ? Math.abs(g - w) <= 1e-5 * (1 + Math.abs(w)) : Object.is(g, w);
              assert.ok(ok, `${gate} ${key}[${i}]: got ${g}, expected ${w}`);
            });
          assert.ok(
            Number.isNaN(got.y[5 * C + 1]) && Number.isNaN(got.dp1[1]) && Number.isNaN(got.dp2[3]),
            `${gate}: NaN reaches its outputs`,
          );
        }
      });
    });

    describe('AconC wasm SIMD kernels on extreme inputs', () => {
      const XS = [3e38, -3e38, 1e30, -1e30, 0, 1e-30, -1e-30, 1e-45, 1, -1, 87.5, -88, 20, -20];
      const BETAS = [0, 1, -1, -5, 1e30, -1e30, 3e38, 1e-20];
      const PARAMS = [
        [1.5, -0.5],
        [1, 0],
        [0.25, 0.75],
        [-2, 3],
      ];
      /** One channel per (x, β, p1, p2) combination, so every gradient is a single term. */
      function extremeCase(shared: boolean, DYS = [1, -2.5, 0.75]): Case {
        const x: number[] = [],
          beta: number[] = [],
          p1: number[] = [],
          p2: number[] = [],
          dy: number[] = [];
        let j = 0;
        for (const xv of XS)
          for (const bv of BETAS)
            for (const [a, b] of shared ? [PARAMS[0]] : PARAMS) {
              x.push(xv);
              beta.push(bv);
              p1.push(a);
              p2.push(b);
              dy.push(DYS[j++ % DYS.length]);
            }
        const C = x.length;
        return {
          what: `extremes (${shared ? 'shared' : 'per-channel'} p, dy ∈ {${DYS}})`,
          N: 1,
          S: 1,
          C,
          Cp: shared ? 1 : C,
          bShape: [1, 1, C],
          x: Float32Array.from(x),
          p1: Float32Array.from(shared ? [p1[0]] : p1),
          p2: Float32Array.from(shared ? [p2[0]] : p2),
          beta: Float32Array.from(beta),
          dy: Float32Array.from(dy),
        };
      }

      it('no NaN anywhere; matches the cpu kernels, Inf only where they overflow too', async () => {
        for (const [shared, dys] of [
          [false, undefined],
          [true, undefined],
          [false, [0]],
          [true, [0]],
        ] as const) {
          const k = extremeCase(shared, dys && [...dys]);
          const got = await compare(k, { atol: 1e-6, atolSum: 1e-6 });
          for (const [name, v] of Object.entries(got)) {
            if (name !== 'shapes') assert.ok(!(v as Float32Array).some(Number.isNaN), `${k.what}: NaN in ${name}`);
          }
        }
      });

      it('β = 0 gives the mean of p1·x and p2·x', async () => {
        const k = extremeCase(false);
        const got = await runOn('wasm', k);
        for (let c = 0; c < k.C; c++) {
          if (k.beta[c] !== 0) continue;
          const mean = Math.fround((k.p1[c] * k.x[c] + k.p2[c] * k.x[c]) / 2);
          const tol = 2 ** -22 * Math.abs(k.x[c]) * (Math.abs(k.p1[c]) + Math.abs(k.p2[c]));
          assert.ok(
            Object.is(got.y[c], mean) || Math.abs(got.y[c] - mean) <= tol,
            `x=${k.x[c]} p=(${k.p1[c]},${k.p2[c]}): y ${got.y[c]} vs mean ${mean}`,
          );
        }
      });

      it('saturated z: y → p1·x (z → +∞) or p2·x (z → −∞) with zero β-gradient', async () => {
        const C = 8,
          x = Float32Array.from([1e30, -1e30, 3e38, -3e38, 50, -50, 1e10, -1e10]);
        const k: Case = {
          what: 'saturated',
          N: 1,
          S: 1,
          C,
          Cp: 1,
          bShape: [1, 1, 1],
          x,
          p1: Float32Array.of(0.5),
          p2: Float32Array.of(-0.25),
          beta: Float32Array.of(1e6),
          dy: new Float32Array(C).fill(1),
        };
        const got = await compare(k);
        for (let c = 0; c < C; c++) {
          const want = Math.fround((x[c] > 0 ? 0.5 : -0.25) * x[c]);
          assert.equal(got.y[c], want, `y at x=${x[c]}`);
        }
        assert.equal(got.db[0], 0, 'dβ vanishes when every s·t underflows');
      });
    });
  });

describe('AconC wasm kernels on a shared heap (tfjs threaded build) and on a heap they cannot import', () => {
  /** A minimal stand-in for BackendWasm; `shared`: its memory is shared and imported, as in the threaded build. */
  function heapBackend(shared: boolean) {
    const memory = new WebAssembly.Memory({ initial: 16, maximum: 16, shared });
    const infos = new Map<object, { memoryOffset: number; shape: number[] }>();
    let top = 64;
    return {
      // The threaded build exposes its (imported) memory as wasmMemory; with neither, nothing can attach.
      wasm: { asm: {}, wasmMemory: shared ? memory : undefined, HEAPU8: new Uint8Array(memory.buffer) },
      dataIdMap: { get: (dataId: object) => infos.get(dataId)! },
      makeOutput(shape: number[], dtype: 'float32', _offset?: number, values?: Float32Array): tf.TensorInfo {
        const size = shape.reduce((a, d) => a * d, 1),
          memoryOffset = top;
        top += (size * 4 + 15) & ~15;
        if (values) new Float32Array(memory.buffer, memoryOffset, size).set(values);
        const dataId = {};
        infos.set(dataId, { memoryOffset, shape });
        return { dataId, shape, dtype };
      },
      disposeData: () => true,
      values(t: tf.TensorInfo): Float32Array {
        const { memoryOffset, shape } = infos.get(t.dataId)!;
        return new Float32Array(
          memory.buffer,
          memoryOffset,
          shape.reduce((a, d) => a * d, 1),
        ).slice();
      },
    };
  }

  async function runOnHeap(shared: boolean) {
    const k = randomCase('heap', 2, 3, 5, 5, [1, 1, 5], 4242);
    const want = await runOn('cpu', k);
    const backend = heapBackend(shared);
    const t = (v: Float32Array, shape: number[]) => backend.makeOutput(shape, 'float32', undefined, v);
    const x = t(k.x, [k.N, k.S, k.C]),
      dy = t(k.dy, [k.N, k.S, k.C]),
      p1 = t(k.p1, [k.Cp]),
      p2 = t(k.p2, [k.Cp]),
      beta = t(k.beta, k.bShape);
    const run = (name: string, inputs: tf.NamedTensorInfoMap) =>
      tf.getKernel(name, 'wasm')!.kernelFunc({ inputs, backend: backend as never, attrs: {} });
    const y = run(ACON_C, { x, p1, p2, beta }) as tf.TensorInfo;
    const [dx, dp1, dp2, db] = run(ACON_C_GRAD, { x, p1, p2, beta, dy }) as tf.TensorInfo[];
    return {
      kind: aconWasmKernelKind(backend),
      got: [y, dx, dp1, dp2, db].map((o) => backend.values(o)),
      want: [want.y, want.dx, want.dp1, want.dp2, want.db],
    };
  }

  it('attaches the SIMD module (its shared-memory build) to a shared heap', async () => {
    const { kind, got, want } = await runOnHeap(true);
    assert.equal(kind, 'simd');
    got.forEach((v, i) =>
      v.forEach((g, j) =>
        assert.ok(Math.abs(g - want[i][j]) <= 1e-5 * (1 + Math.abs(want[i][j])), `output ${i}[${j}]: ${g} vs ${want[i][j]}`),
      ),
    );
  });

  it('falls back to the JS loop (same results as the cpu kernels) on a heap without an importable memory', async () => {
    const { kind, got, want } = await runOnHeap(false);
    assert.equal(kind, 'js');
    assert.deepEqual(got, want);
  });
});
