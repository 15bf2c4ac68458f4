/**
 * The elementwise kernels split over kernel threads (`src/node/threads/math_split.ts`):
 * `Add`/`Sub`/`Multiply`/`RealDiv` with each kind of broadcast on 2 and 3 threads give the
 * one-thread results bit for bit; reductions and calls below MIN_MATH_SPLIT_ELEMENTS stay on the
 * calling thread.
 */
import '../../src/entry_node.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { setKernelThreads } from '../../src/node/index.js';
import { MIN_MATH_SPLIT_ELEMENTS } from '../../src/node/threads/math_split.js';
import { splitCallCount } from '../../src/node/threads/split_pool.js';
import { mulberry32 } from '../../src/util/random.js';
import { assertBitsEqual } from '../helpers/assert_close.js';
import { onWasmWithKernelThreads } from '../helpers/kernel_threads_suite.js';

onWasmWithKernelThreads();

function random(shape: number[], seed: number): tf.Tensor {
  const r = mulberry32(seed);
  // Away from 0, so that RealDiv stays finite.
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() < 0.5 ? -1 : 1) * (0.25 + 4 * r())),
    shape,
  );
}

/** `[N,H,W,C]` with C % 4 ≠ 0 and an odd size just above the split threshold. */
const X = [5, 47, 43, 13];

interface Case {
  what: string;
  run: (x: tf.Tensor) => tf.Tensor;
  splits: boolean;
}

const CASES: Case[] = [
  { what: 'Add, same shapes (split along the inner axis, tail of 1)', run: (x) => tf.add(x, random(X, 2)), splits: true },
  { what: 'Add [C] (one outer entry: split along the middle axis)', run: (x) => tf.add(x, random([13], 3)), splits: true },
  { what: 'Multiply [N,1,1,C] (split along the outer axis)', run: (x) => tf.mul(x, random([5, 1, 1, 13], 4)), splits: true },
  { what: 'Sub with the broadcast operand first', run: (x) => tf.sub(random([5, 1, 1, 13], 5), x), splits: true },
  { what: 'RealDiv by a scalar', run: (x) => tf.div(x, tf.scalar(3)), splits: true },
  { what: 'RealDiv, broadcast first', run: (x) => tf.div(random([1, 1, 43, 13], 6), x), splits: true },
  { what: 'Mean over H, W (reductions stay on one thread)', run: (x) => tf.mean(x, [1, 2]), splits: false },
];

function outputs(c: Case, threads: number): { out: Float32Array; split: number } {
  setKernelThreads(threads);
  const before = splitCallCount();
  const out = tf.tidy(() => c.run(random(X, 1)).dataSync() as Float32Array);
  return { out, split: splitCallCount() - before };
}

describe('kernel threads: Add/Sub/Multiply/RealDiv split over threads (wasm, shared heap)', () => {
  it('the test tensor is above the threshold', () => assert.ok(X.reduce((a, b) => a * b) >= MIN_MATH_SPLIT_ELEMENTS));

  for (const c of CASES)
    for (const threads of [2, 3])
      it(`${c.what}: ${threads} threads give the one-thread result`, () => {
        const one = outputs(c, 1),
          split = outputs(c, threads);
        assert.equal(one.split, 0);
        assert.equal(split.split, c.splits ? 1 : 0, c.splits ? 'the call ran split' : 'the call stayed on one thread');
        assertBitsEqual(one.out, split.out, c.what);
      });

  it('calls below MIN_MATH_SPLIT_ELEMENTS stay on the calling thread', () => {
    setKernelThreads(2);
    const before = splitCallCount();
    const v = tf.tidy(() => tf.add(tf.ones([MIN_MATH_SPLIT_ELEMENTS - 4]), tf.scalar(2)).dataSync());
    assert.equal(splitCallCount() - before, 0);
    assert.ok(v.every((e) => e === 3));
  });

  it('a gradient that sums two paths (x feeds ACON-C and a mean) is the same on 1 and 2 threads', () => {
    const x = random([16, 24, 24, 32], 9),
      dy = random([16, 24, 24, 32], 10);
    const grad = (threads: number) => {
      setKernelThreads(threads);
      return tf.tidy(
        () =>
          tf
            .grad((a: tf.Tensor) => tf.mul(a, tf.mean(a, [1, 2], true)))(x, dy)
            .dataSync() as Float32Array,
      );
    };
    const before = splitCallCount();
    const g1 = grad(1);
    assert.equal(splitCallCount() - before, 0);
    const g2 = grad(2);
    assert.ok(splitCallCount() - before >= 3, 'the products and the sum of the two paths ran split');
    assertBitsEqual(g1, g2, 'dx');
    tf.dispose([x, dy]);
  });
});
