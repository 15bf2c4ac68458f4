/**
 * Non-finite inputs (kernel_names.ts): a NaN anywhere comes out NaN, forward and backward, as in
 * PyTorch; infinities give the limits of y = x·(p1·g(z) + p2·g(−z)); finite inputs whose true
 * results are finite give finite results. On every path: the fused cpu and wasm kernels and the
 * generic composition (what tfjs-node, webgl and webgpu run), for both gates.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { ops } from '../../src/index.js';
import { aconCGeneric } from '../../src/ops/acon/generic.js';
import type { AconGate } from '../../src/ops/acon/kernel_names.js';
import { KERNEL_BACKENDS, useBackend } from '../helpers/backends.js';

const INF = Infinity;

interface Expected {
  y: number[];
  dx: number[];
  dp1: number[];
  dp2: number[];
  db: number[];
}

/** Runs one path on x [1,C] with per-channel p1, p2, β and upstream gradient dy. */
function run(path: 'fused' | 'generic', gate: AconGate, x: number[], p1: number[], p2: number[], beta: number[], dy?: number[]) {
  const C = x.length;
  const f =
    path === 'fused'
      ? (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => ops.aconC(a, b, c, d, { gate })
      : (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
          tf.reshape(aconCGeneric(tf.reshape(a, [1, 1, C]), b, c, tf.reshape(d, [1, 1, C]), gate), [1, C]);
  return tf.tidy(() => {
    const ins = [tf.tensor2d([x]), tf.tensor1d(p1), tf.tensor1d(p2), tf.tensor1d(beta)];
    const [y, ...g] = [f(ins[0], ins[1], ins[2], ins[3]), ...tf.grads(f)(ins, dy ? tf.tensor2d([dy]) : undefined)];
    const v = (t: tf.Tensor) => Array.from(t.dataSync());
    return { y: v(y), dx: v(g[0]), dp1: v(g[1]), dp2: v(g[2]), db: v(g[3]) };
  });
}

function assertSame(actual: Expected, expected: Expected, what: string): void {
  for (const key of Object.keys(expected) as (keyof Expected)[]) {
    expected[key].forEach((e, i) => {
      const a = actual[key][i];
      const ok = Number.isNaN(e) ? Number.isNaN(a) : Number.isFinite(e) ? Math.abs(a - e) <= 1e-6 * (1 + Math.abs(e)) : a === e;
      assert.ok(ok, `${what}: ${key}[${i}] is ${a}, expected ${e} (all: ${actual[key]})`);
    });
  }
}

const nan4 = [NaN, NaN, NaN, NaN];

for (const backend of KERNEL_BACKENDS)
  for (const path of ['fused', 'generic'] as const)
    describe(`non-finite inputs, ${path} path on ${backend}`, () => {
      before(() => useBackend(backend));

      it('β = NaN gives NaN everywhere, forward and backward (wasm gave the β = 0 result)', () => {
        for (const gate of ['sigmoid', 'hardSigmoid'] as const) {
          const out = run(path, gate, [1, -1, 0, 2], [1.2, 1.2, 1.2, 1.2], [-0.8, -0.8, -0.8, -0.8], nan4);
          assertSame(out, { y: nan4, dx: nan4, dp1: nan4, dp2: nan4, db: nan4 }, `${gate}, β = NaN`);
        }
      });

      it('a NaN in x, p1, p2 or dy reaches exactly the outputs it enters (wasm gave dx = 0.5 for x = NaN)', () => {
        // Channel 0 carries the NaN, channel 1 is ordinary: x = 1, p1 = 1, p2 = 0, β = 1 (Swish at 1).
        const s1 = 1 / (1 + Math.exp(-1));
        const k = s1 + s1 * (1 - s1);
        const fine = { y: s1, dx: k, dp1: k, dp2: 1 - k, db: s1 * (1 - s1) };
        const expect = (nanAll: boolean): Expected => ({
          y: [nanAll ? NaN : 0, fine.y],
          dx: [NaN, fine.dx],
          dp1: [NaN, fine.dp1],
          dp2: [NaN, fine.dp2],
          db: [NaN, fine.db],
        });
        assertSame(run(path, 'sigmoid', [NaN, 1], [1, 1], [0, 0], [1, 1]), expect(true), 'x = NaN');
        assertSame(run(path, 'sigmoid', [1, 1], [NaN, 1], [0, 0], [1, 1]), expect(true), 'p1 = NaN');
        assertSame(run(path, 'sigmoid', [1, 1], [1, 1], [NaN, 0], [1, 1]), expect(true), 'p2 = NaN');
        // dy = NaN: the forward is untouched (y at x = 0 is 0), every gradient it enters is NaN.
        assertSame(run(path, 'sigmoid', [0, 1], [1, 1], [0, 0], [1, 1], [NaN, 1]), expect(false), 'dy = NaN');
      });

      it('x = ±∞ gives the limits: y → p_w·x of the winning gate, 0 when p_w = 0; dx → p_w', () => {
        for (const gate of ['sigmoid', 'hardSigmoid'] as const) {
          // p1 = 1, p2 = 0, β = 1 (Swish): x·σ(x) → 0 at −∞ and → x at +∞.
          assertSame(
            run(path, gate, [-INF, INF], [1, 1], [0, 0], [1, 1]),
            { y: [0, INF], dx: [0, 1], dp1: [0, INF], dp2: [-INF, 0], db: [0, 0] },
            `${gate}, Swish`,
          );
          // p2 = 0.25: y → 0.25·x at −∞.
          assertSame(
            run(path, gate, [-INF, INF], [1, 1], [0.25, 0.25], [1, 1]),
            { y: [-INF, INF], dx: [0.25, 1], dp1: [0, INF], dp2: [-INF, 0], db: [0, 0] },
            `${gate}, p2 = 0.25`,
          );
          // β < 0 swaps the winners: x → +∞ takes p2 = 0 (y → 0), x → −∞ takes p1.
          assertSame(
            run(path, gate, [-INF, INF], [1, 1], [0, 0], [-1, -1]),
            { y: [-INF, 0], dx: [1, 0], dp1: [-INF, 0], dp2: [0, INF], db: [0, 0] },
            `${gate}, β = −1`,
          );
          // β = 0: the linear mean (p1 + p2)/2·x; z = 0·∞ is 0, so the gate is 1/2 and dβ = d²·g′(0) = ∞.
          const slope0 = gate === 'sigmoid' ? 0.25 : 1 / 6;
          assertSame(
            run(path, gate, [-INF, INF, 2], [1, 1, 1], [0.5, 0.5, 0.5], [0, 0, 0]),
            { y: [-INF, INF, 1.5], dx: [0.75, 0.75, 0.75], dp1: [-INF, INF, 1], dp2: [-INF, INF, 1], db: [INF, INF, slope0] },
            `${gate}, β = 0`,
          );
        }
      });

      it('β = ±∞ gives the hard switch max(p1x, p2x) (min for −∞), and 0 at x = 0', () => {
        for (const gate of ['sigmoid', 'hardSigmoid'] as const) {
          assertSame(
            run(path, gate, [0, 2, -2], [1, 1, 1], [0.5, 0.5, 0.5], [INF, INF, -INF]),
            { y: [0, 2, -2], dx: [0.75, 1, 1], dp1: [0, 2, -2], dp2: [0, 0, 0], db: [0, 0, 0] },
            `${gate}, β = ±∞`,
          );
        }
      });

      it('finite inputs with a finite true value give it: x = 0, p1 = 1e30, p2 = −1e30, β = 1e30 gives 0', () => {
        for (const gate of ['sigmoid', 'hardSigmoid'] as const) {
          assertSame(
            run(path, gate, [0, 0], [1e30, 1e30], [-1e30, -1e30], [1e30, -1e30]),
            { y: [0, 0], dx: [0, 0], dp1: [0, 0], dp2: [0, 0], db: [0, 0] },
            `${gate}, huge parameters at x = 0`,
          );
        }
      });
    });
