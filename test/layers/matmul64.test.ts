/**
 * The float64 products of the fused Meta-ACON generator (`src/layers/matmul64.ts`): the SIMD
 * module gives the JavaScript loop's bits exactly (odd rows, columns not a multiple of 4, empty
 * operands, with and without init), a literal case, and inputs that grow its memory.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matmul64, matmul64Engine, matmul64Js } from '../../src/layers/matmul64.js';

function random(n: number, seed: number): Float64Array {
  let s = seed;
  return Float64Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648 - 0.5) * 10 ** ((s % 7) - 3);
  });
}

describe('matmul64', () => {
  it('a literal product with init', () => {
    // [[1,2],[3,4],[5,6]] · [[1,0,-1],[2,1,0]] + [10,20,30]
    const out = matmul64([1, 2, 3, 4, 5, 6], [1, 0, -1, 2, 1, 0], 3, 2, 3, [10, 20, 30]);
    assert.deepEqual([...out], [15, 22, 29, 21, 24, 27, 27, 26, 25]);
  });

  it('gives the JavaScript loop bit for bit, for every edge of its blocking', () => {
    assert.equal(matmul64Engine(), 'wasm');
    for (const [M, K, P] of [
      [64, 512, 32],
      [7, 13, 9],
      [1, 1, 1],
      [2, 3, 4],
      [3, 5, 6],
      [5, 0, 3],
      [0, 4, 4],
      [4, 4, 0],
      [33, 17, 15],
    ])
      for (const withInit of [false, true]) {
        const a = random(M * K, M + 7 * K + 1),
          b = Float32Array.from(random(K * P, P + 3)),
          init = withInit ? random(P, 11) : undefined;
        const got = matmul64(a, b, M, K, P, init),
          want = matmul64Js(a, b, M, K, P, init);
        assert.equal(got.length, M * P);
        assert.deepEqual(new Uint8Array(got.buffer), new Uint8Array(want.buffer), `[${M},${K}]·[${K},${P}] init ${withInit}`);
      }
  });

  it('grows its memory for large operands and keeps working for small ones after', () => {
    const M = 300,
      K = 200,
      P = 64;
    const a = random(M * K, 5),
      b = random(K * P, 6);
    assert.deepEqual(matmul64(a, b, M, K, P), matmul64Js(a, b, M, K, P));
    assert.deepEqual([...matmul64([2], [3], 1, 1, 1, [1])], [7]);
  });
});
