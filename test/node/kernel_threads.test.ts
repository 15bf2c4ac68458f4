/**
 * Kernel threads (`src/node/threads`): acon/node's wasm backend runs on a shared heap, and one
 * AconC/AconCGrad call splits its rows between the calling thread and kernel threads. The split
 * results are compared with the same kernel on one thread: y and dx bit for bit, the parameter
 * gradients within float32 rounding of their sums; also uneven splits, tiny tensors (one thread),
 * per-sample β (Meta-ACON), worker errors, the thread-count setting, and exit without cleanup.
 */
import '../../src/entry_node.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { MetaAconC, ops } from '../../src/index.js';
import { DataParallelTrainer, getKernelThreads, KERNEL_THREADS_ENV, setKernelThreads } from '../../src/node/index.js';
import { aconKernelSplitter } from '../../src/ops/acon/kernel_split.js';
import { ACON_C, ACON_C_GRAD } from '../../src/ops/acon/kernel_names.js';
import { MIN_SPLIT_ELEMENTS, splitAconLayout } from '../../src/node/threads/acon_split.js';
import { splitCallCount } from '../../src/node/threads/split_pool.js';
import { defaultKernelThreads, holdKernelThreadsAtOne } from '../../src/node/threads/kernel_threads.js';
import { importSharedMemory } from '../../src/node/threads/shared_heap.js';
import { isSharedMemory } from '../../src/wasm/kernel_module.js';
import { mulberry32 } from '../../src/util/random.js';
import { assertBitsEqual } from '../helpers/assert_close.js';
import { onWasmWithKernelThreads } from '../helpers/kernel_threads_suite.js';

const dataOffset = (t: tf.Tensor) =>
  (tf.backend() as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } } }).dataIdMap.get(t.dataId).memoryOffset;
const heap = () => (tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } }).wasm.asm.memory;

onWasmWithKernelThreads();

function random(n: number, seed: number, lo: number, hi: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

interface Case {
  what: string;
  N: number;
  S: number;
  C: number;
  Cp: number;
  beta: [number, number, number];
  gate?: 'sigmoid' | 'hardSigmoid';
}

/** Forward and backward kernels at `threads`; the outputs, and whether the calls were split. */
function runKernels(c: Case, threads: number): { out: Float32Array[]; split: number } {
  setKernelThreads(threads);
  const before = splitCallCount();
  const n = c.N * c.S * c.C;
  const out = tf.tidy(() => {
    const x = tf.tensor3d(random(n, 1, -6, 6), [c.N, c.S, c.C]);
    const dy = tf.tensor3d(random(n, 2, -1, 1), [c.N, c.S, c.C]);
    const p1 = tf.tensor1d(random(c.Cp, 3, 0.5, 1.5)),
      p2 = tf.tensor1d(random(c.Cp, 4, -0.5, 0.5));
    const beta = tf.tensor3d(random(c.beta[0] * c.beta[1] * c.beta[2], 5, 0, 2), c.beta);
    const attrs = { gate: c.gate ?? 'sigmoid' };
    const y = tf.engine().runKernel(ACON_C, { x, p1, p2, beta }, attrs) as tf.Tensor;
    const grads = tf.engine().runKernel(ACON_C_GRAD, { x, p1, p2, beta, dy }, attrs) as tf.Tensor[];
    return [y, ...grads].map((t) => t.dataSync() as Float32Array);
  });
  return { out, split: splitCallCount() - before };
}

/** |split − one| ≤ (T + 1) float32 roundings of the sum's magnitude, plus one of the largest partial (bounded by Σ|terms| ≤ n·max). */
function assertSumClose(one: Float32Array, split: Float32Array, scale: number, threads: number, what: string): void {
  for (let i = 0; i < one.length; i++) {
    const tol = (threads + 1) * 2 ** -24 * (Math.abs(one[i]) + scale);
    assert.ok(Math.abs(split[i] - one[i]) <= tol, `${what}[${i}]: ${split[i]} split, ${one[i]} on one thread (tolerance ${tol})`);
  }
}

const big = MIN_SPLIT_ELEMENTS;
const CASES: Case[] = [
  { what: 'β per channel, C % 4 ≠ 0, N odd', N: 9, S: Math.ceil(big / 9 / 33) + 3, C: 33, Cp: 33, beta: [1, 1, 33] },
  { what: 'per-sample β (Meta-ACON)', N: 7, S: 300, C: 36, Cp: 36, beta: [7, 1, 36] },
  { what: 'per-sample β, hard gate', N: 7, S: 300, C: 36, Cp: 36, beta: [7, 1, 36], gate: 'hardSigmoid' },
  { what: 'β per position (x-shaped, N = 3)', N: 3, S: 8000, C: 4, Cp: 4, beta: [3, 8000, 4] },
  { what: 'one sample, β per position and channel', N: 1, S: 2001, C: 40, Cp: 40, beta: [1, 2001, 40] },
  { what: 'p and β shared (rows merge into one, split along it)', N: 5, S: 4001, C: 7, Cp: 1, beta: [1, 1, 1] },
  { what: 'p shared, β per sample', N: 6, S: 2000, C: 7, Cp: 1, beta: [6, 1, 1] },
];

describe('kernel threads: AconC/AconCGrad split over threads (wasm, shared heap)', () => {
  it('acon/node initialises the wasm backend on a shared heap', () => {
    assert.ok(isSharedMemory(heap()), 'the wasm heap is a SharedArrayBuffer');
    // tfjs's own kernels work on it (and read back into ordinary arrays).
    const v = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])).dataSync());
    assert.deepEqual(Array.from(v), [19, 22, 43, 50]);
    assert.ok(!(v.buffer instanceof SharedArrayBuffer));
  });

  for (const c of CASES)
    for (const threads of [2, 3])
      it(`${c.what}: ${threads} threads give the one-thread results`, () => {
        const one = runKernels(c, 1),
          split = runKernels(c, threads);
        assert.equal(one.split, 0);
        assert.equal(split.split, 2, 'forward and backward both split');
        const [y, dx, dp1, dp2, db] = one.out;
        assertBitsEqual(y, split.out[0], 'y');
        assertBitsEqual(dx, split.out[1], 'dx');
        // Each per-element term of a parameter gradient is at most |dy·x·k| ≤ 1·6·1.1.
        const rows = (c.N * c.S * c.C) / Math.max(1, c.Cp === 1 ? 1 : c.C);
        assertSumClose(dp1, split.out[2], rows * 7, threads, 'dp1');
        assertSumClose(dp2, split.out[3], rows * 7, threads, 'dp2');
        const perBeta = (c.N * c.S * c.C) / db.length;
        assertSumClose(db, split.out[4], perBeta * 40, threads, 'dβ');
        if (c.beta[0] === c.N && c.N > 1) assertBitsEqual(db, split.out[4], 'per-sample dβ (each thread writes its own samples)');
      });

  it('kernel threads see the heap after it grows', () => {
    const c: Case = { what: 'after growth', N: 8, S: 1000, C: 12, Cp: 12, beta: [8, 1, 12] };
    runKernels(c, 2);
    const before = heap().buffer.byteLength;
    const filler = tf.zeros([before / 4]);
    assert.ok(heap().buffer.byteLength > before, 'the heap grew');
    const one = runKernels(c, 1),
      split = runKernels(c, 2);
    assert.equal(split.split, 2);
    one.out.slice(0, 2).forEach((o, i) => assertBitsEqual(o, split.out[i], `output ${i}`));
    // A part that lies wholly past the old end of the heap (in the filler, in place): no trap in the thread.
    setKernelThreads(2);
    const rows = MIN_SPLIT_ELEMENTS / 4,
      at = before + 4096;
    const fillerStart = dataOffset(filler);
    assert.ok(fillerStart <= at && fillerStart + before >= at + rows * 8, "the thread's part lies in the filler");
    const p = tf.tensor1d([1, 0, 1, 1]);
    const noop = { aconCForward: () => {}, aconCBackward: () => {}, aconCBackwardScratchBytes: () => 0 };
    assert.ok(
      aconKernelSplitter()!.forward(noop, heap(), [
        at - rows * 8,
        dataOffset(p),
        dataOffset(p),
        dataOffset(p),
        at - rows * 8,
        1,
        rows,
        4,
        4,
        1,
        1,
        4,
        0,
      ]),
    );
    p.dispose();
    filler.dispose();
  });

  it('tensors below MIN_SPLIT_ELEMENTS stay on the calling thread', () => {
    const tiny: Case = { what: 'tiny', N: 4, S: 10, C: 8, Cp: 8, beta: [4, 1, 8] };
    const one = runKernels(tiny, 1),
      split = runKernels(tiny, 2);
    assert.equal(split.split, 0);
    one.out.forEach((o, i) => assertBitsEqual(o, split.out[i], `output ${i}`));
  });

  it('ops.aconC and MetaAconC (generator included) train the same on 1 and 2 threads', () => {
    const x = tf.tensor4d(random(16 * 12 * 12 * 32, 7, -3, 3), [16, 12, 12, 32]);
    const dy = tf.tensor4d(random(x.size, 8, -1, 1), x.shape);
    const layer = new MetaAconC({ r: 16 });
    tf.dispose(layer.apply(x) as tf.Tensor);
    const grads = (threads: number) => {
      setKernelThreads(threads);
      return tf.tidy(() => {
        const p1 = tf.ones([32]),
          p2 = tf.zeros([32]),
          beta = tf.fill([32], 1.5);
        const g = tf
          .grads((a: tf.Tensor) => ops.aconC(a, p1, p2, beta))([x], dy)[0]
          .dataSync() as Float32Array;
        const meta = tf
          .grads((a: tf.Tensor) => layer.apply(a, { training: true }) as tf.Tensor)([x], dy)[0]
          .dataSync() as Float32Array;
        return [g, meta];
      });
    };
    const before = splitCallCount();
    const [g1, m1] = grads(1);
    const [g2, m2] = grads(2);
    assert.ok(splitCallCount() - before >= 4, 'the ACON kernels of both ran split');
    assertBitsEqual(g1, g2, 'ACON-C dx');
    // Meta-ACON's dx goes through β's generator, which the split dβ feeds: equal up to float32 rounding.
    for (let i = 0; i < m1.length; i++)
      assert.ok(Math.abs(m1[i] - m2[i]) <= 1e-5 * (1 + Math.abs(m1[i])), `MetaAconC dx[${i}]: ${m2[i]} vs ${m1[i]}`);
    tf.dispose([x, dy]);
    layer.dispose();
  });

  it("a kernel thread's error surfaces as an error naming the kernel and the thread", () => {
    setKernelThreads(2);
    const memory = heap(),
      end = memory.buffer.byteLength;
    const C = 4,
      rows = MIN_SPLIT_ELEMENTS / C;
    const k = {
      aconCForward: () => {},
      aconCBackward: () => {},
      aconCBackwardScratchBytes: () => 0,
    };
    // Part 0 (this thread, a no-op here) is in range; part 1 starts at the end of the heap.
    const x = end - (rows / 2) * C * 4;
    const p = tf.tensor1d([1, 0, 0.5, 2]);
    const ptr = (tf.backend() as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } } }).dataIdMap.get(
      p.dataId,
    ).memoryOffset;
    assert.throws(
      () => aconKernelSplitter()!.forward(k, memory, [x, ptr, ptr, ptr, x, 1, rows, C, C, 1, 1, C, 0]),
      (e: Error) => /^AconC \(wasm\): kernel thread 1: RuntimeError: memory access out of bounds/.test(e.message),
    );
    p.dispose();
    // The thread still serves the next call.
    const c: Case = { what: 'after an error', N: 8, S: 1000, C: 12, Cp: 12, beta: [8, 1, 12] };
    assertBitsEqual(runKernels(c, 1).out[1], runKernels(c, 2).out[1], 'dx after an error');
  });
});

describe('kernel threads: the split plan', () => {
  const L = { N: 5, S: 3, C: 4, Cp: 4, Nb: 1, Sb: 1, Cb: 4 };
  it('splits samples into contiguous ranges, the first ones longer', () => {
    assert.deepEqual(
      splitAconLayout(L, 2).map((p) => [p.layout.N, p.xOffset, p.betaOffset, p.ownBeta]),
      [
        [3, 0, 0, false],
        [2, 36, 0, false],
      ],
    );
  });
  it('offsets per-sample β with the samples (own dβ entries)', () => {
    assert.deepEqual(
      splitAconLayout({ ...L, Nb: 5 }, 3).map((p) => [p.layout.N, p.layout.Nb, p.xOffset, p.betaOffset, p.ownBeta]),
      [
        [2, 2, 0, 0, true],
        [2, 2, 24, 8, true],
        [1, 1, 48, 16, true],
      ],
    );
  });
  it('one sample: splits positions; one row with shared p: splits channels in blocks of 4', () => {
    assert.deepEqual(
      splitAconLayout({ ...L, N: 1, S: 5, Sb: 5 }, 2).map((p) => [p.layout.S, p.layout.Sb, p.xOffset, p.betaOffset]),
      [
        [3, 3, 0, 0],
        [2, 2, 12, 12],
      ],
    );
    assert.deepEqual(
      splitAconLayout({ N: 1, S: 1, C: 10, Cp: 1, Nb: 1, Sb: 1, Cb: 10 }, 2).map((p) => [p.layout.C, p.layout.Cb, p.xOffset, p.ownBeta]),
      [
        [8, 8, 0, true],
        [2, 2, 8, true],
      ],
    );
    assert.equal(splitAconLayout({ N: 1, S: 1, C: 10, Cp: 10, Nb: 1, Sb: 1, Cb: 10 }, 2).length, 1);
  });
});

describe('kernel threads: the setting', () => {
  it('defaults to the cores on the main thread, 1 in a worker; the environment variable overrides the main thread only', () => {
    assert.ok(defaultKernelThreads({}, true) >= 1);
    assert.equal(defaultKernelThreads({ [KERNEL_THREADS_ENV]: '3' }, true), 3);
    assert.equal(defaultKernelThreads({ [KERNEL_THREADS_ENV]: '3' }, false), 1);
    assert.throws(
      () => defaultKernelThreads({ [KERNEL_THREADS_ENV]: 'two' }, true),
      /ACON_KERNEL_THREADS environment variable must be a positive integer, got NaN/,
    );
  });
  it('setKernelThreads validates; a data-parallel trainer holds the calling thread at 1', () => {
    assert.throws(() => setKernelThreads(0), /kernel threads from setKernelThreads must be a positive integer, got 0/);
    assert.throws(() => setKernelThreads(1.5), /got 1.5/);
    setKernelThreads(2);
    const release = holdKernelThreadsAtOne();
    assert.equal(getKernelThreads(), 1);
    release();
    release();
    assert.equal(getKernelThreads(), 2);
  });
  it("a data-parallel trainer's replicas use one kernel thread each, the calling thread too until dispose()", async () => {
    setKernelThreads(undefined);
    const saved = process.env[KERNEL_THREADS_ENV];
    process.env[KERNEL_THREADS_ENV] = '2';
    try {
      assert.equal(getKernelThreads(), 2);
      const trainer = await DataParallelTrainer.create({
        model: {
          module: new URL('./fixtures/parallel_models.ts', import.meta.url),
          exportName: 'mlpOnOneKernelThread',
          options: { inputs: 4, hidden: 8, classes: 2, seed: 1 },
        },
        optimizer: { type: 'sgd', learningRate: 0.1 },
        workers: 2,
        log: () => {},
      });
      assert.equal(getKernelThreads(), 1);
      await trainer.dispose();
      assert.equal(getKernelThreads(), 2);
    } finally {
      if (saved === undefined) delete process.env[KERNEL_THREADS_ENV];
      else process.env[KERNEL_THREADS_ENV] = saved;
    }
  });

  it('kernel threads do not keep the process alive', () => {
    const child = fileURLToPath(new URL('./fixtures/kernel_threads_exit.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', child], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /done 32x32x32x16 split 2/);
  });
});

describe('kernel threads: the heap rewrite', () => {
  // (module (memory (export "mem") 1 3) (func (export "size") (result i32) memory.size)): no import section.
  const own = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3, 2, 1, 0, 5, 4, 1, 1, 1, 3, 7, 14, 2, 3, 109, 101, 109, 2, 0, 4, 115, 105, 122,
    101, 0, 0, 10, 6, 1, 4, 0, 63, 0, 11,
  ]);
  it('turns a defined memory into an imported shared one with the same limits', () => {
    const r = importSharedMemory(own)!;
    assert.deepEqual(r.limits, { initial: 1, maximum: 3 });
    const mod = new WebAssembly.Module(r.bytes);
    assert.deepEqual(WebAssembly.Module.imports(mod), [{ module: 'env', name: 'memory', kind: 'memory' }]);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 3, shared: true });
    const ex = new WebAssembly.Instance(mod, { env: { memory } }).exports as { mem: WebAssembly.Memory; size(): number };
    assert.equal(ex.mem, memory);
    memory.grow(1);
    assert.equal(ex.size(), 2);
  });
  it('leaves a module alone that has no memory of its own', () => {
    const r = importSharedMemory(own)!;
    assert.equal(importSharedMemory(r.bytes), undefined);
    assert.equal(importSharedMemory(new Uint8Array([1, 2, 3, 4])), undefined);
  });
});
