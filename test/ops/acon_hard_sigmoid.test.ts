/**
 * The hard-sigmoid gate (`gate: 'hardSigmoid'`, h(z) = clip(z/6 + 1/2, 0, 1), nmaac/acon#2, #12) on
 * every path (fused cpu and wasm kernels, the generic composition): literal values and gradients,
 * the float64 reference for every β layout, finite differences away from the kinks, the subgradient
 * 0 at the kinks z = ±3 (PyTorch's hardsigmoid_backward), ACON-A/B through the same gate, and the
 * layers' `gate` option through getConfig, model.save and tf.loadLayersModel.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { AconA, AconB, AconC, MetaAconC, layers, ops } from '../../src/index.js';
import { aconCGeneric } from '../../src/ops/acon/generic.js';
import { aconCHard, aconCHardPartials, hardSigmoid, hardSigmoidSlope } from '../../src/math/acon.js';
import { KERNEL_BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose } from '../helpers/assert_close.js';
import { randomArray, rng } from '../helpers/random.js';

type Fn = (x: tf.Tensor, p1: tf.Tensor, p2: tf.Tensor, beta: tf.Tensor) => tf.Tensor;
const hard = { gate: 'hardSigmoid' } as const;

/** The op through the fused kernel, or the generic composition on the same canonical tensors. */
function pathFn(path: 'fused' | 'generic'): Fn {
  if (path === 'fused') return (x, p1, p2, beta) => ops.aconC(x, p1, p2, beta, hard);
  return (x, p1, p2, beta) => {
    const [N, C] = [x.shape[0], x.shape[x.rank - 1]];
    const S = x.size / (N * C);
    const b3 = beta.rank === 1 ? tf.reshape(beta, [1, 1, beta.size]) : tf.reshape(beta, [beta.shape[0], -1, beta.shape[beta.rank - 1]]);
    return tf.reshape(aconCGeneric(tf.reshape(x, [N, S, C]), p1, p2, b3, 'hardSigmoid'), x.shape);
  };
}

function valuesAndGrads(f: Fn, ins: tf.Tensor[], dy?: tf.Tensor): Float32Array[] {
  return tf.tidy(() => [f(ins[0], ins[1], ins[2], ins[3]), ...tf.grads(f)(ins, dy)].map((t) => t.dataSync() as Float32Array));
}

describe('float64 hard-sigmoid reference', () => {
  it('h, h′ and ACON-C with the hard gate at literal points', () => {
    assert.deepEqual([-4, -3, -1.5, 0, 1.5, 3, 4].map(hardSigmoid), [0, 0, 0.25, 0.5, 0.75, 1, 1]);
    assert.deepEqual([-3.5, -3, -2.9, 0, 2.9, 3, 3.5].map(hardSigmoidSlope), [0, 0, 1 / 6, 1 / 6, 1 / 6, 0, 0]);
    // p1 = 1.2, p2 = −0.8, β = 1: z = 2x.
    const y = [-4, -1, 0, 0.5, 2, 5].map((x) => aconCHard(x, 1.2, -0.8, 1));
    assertClose(y, [3.2, 0.4666666666666667, 0, 0.26666666666666666, 2.4, 6], 'aconCHard', { rtol: 1e-12 });
  });
});

for (const backend of KERNEL_BACKENDS)
  for (const path of ['fused', 'generic'] as const)
    describe(`hard-sigmoid gate, ${path} path on ${backend}`, () => {
      before(() => useBackend(backend));
      const f = pathFn(path);

      it('gives the literal values and gradients at p1 = 1.2, p2 = −0.8, β = 1', () => {
        const x = [-4, -1, 0, 0.5, 2, 5];
        const out = valuesAndGrads(f, [tf.tensor2d(x, [6, 1]), tf.tensor1d([1.2]), tf.tensor1d([-0.8]), tf.tensor1d([1])]);
        const [y, dx, dp1, dp2, db] = out;
        assertClose(y, [3.2, 0.4666667, 0, 0.2666667, 2.4, 6], 'y', { rtol: 1e-6 });
        assertClose(dx, [-0.8, -1.1333333, 0.2, 0.8666667, 1.2, 1.2], 'dx', { rtol: 1e-6 });
        // dp1 = Σ x·k, k = h(z) + z·h′(z) = [0, −1/6, 1/2, 5/6, 1, 1]; dp2 = Σ x·(1 − k); dβ = Σ d²·h′(z), d = 2x.
        assertClose(dp1, [0 + 1 / 6 + 0 + 5 / 12 + 2 + 5], 'dp1', { rtol: 1e-6 });
        assertClose(dp2, [-4 - 7 / 6 + 0 + 1 / 12 + 0 + 0], 'dp2', { rtol: 1e-6 });
        assertClose(db, [4 / 6 + 1 / 6], 'dβ', { rtol: 1e-6 });
      });

      it('takes the subgradient 0 at the kinks z = ±3 (dx = p1 or p2, dβ = 0), as PyTorch', () => {
        // p1 = 1, p2 = −1, β = 1: z = 2x, so x = ±1.5 is exactly on a kink.
        const [, dx, , , db] = valuesAndGrads(f, [tf.tensor2d([1.5, -1.5], [2, 1]), tf.tensor1d([1]), tf.tensor1d([-1]), tf.tensor1d([1])]);
        assert.deepEqual(Array.from(dx), [1, -1]);
        assert.deepEqual(Array.from(db), [0]);
      });

      it('matches the float64 reference for β per channel, per sample and channel, and per pixel', () => {
        const r = rng(40);
        const xs = [3, 4, 5, 6];
        const n = 3 * 4 * 5 * 6;
        for (const bShape of [[6], [3, 1, 1, 6], xs]) {
          const bn = bShape.reduce((a, b) => a * b, 1);
          const [x, p1, p2, beta, g] = [
            randomArray(r, n, 4),
            randomArray(r, 6),
            randomArray(r, 6),
            randomArray(r, bn, 2),
            randomArray(r, n),
          ];
          const out = valuesAndGrads(f, [tf.tensor(x, xs), tf.tensor(p1), tf.tensor(p2), tf.tensor(beta, bShape)], tf.tensor(g, xs));
          const ref = {
            y: new Float64Array(n),
            dx: new Float64Array(n),
            dp1: new Float64Array(6),
            dp2: new Float64Array(6),
            db: new Float64Array(bn),
          };
          for (let i = 0; i < n; i++) {
            const c = i % 6;
            const bi = bn === 6 ? c : bn === n ? i : Math.floor(i / (4 * 5 * 6)) * 6 + c;
            ref.y[i] = aconCHard(x[i], p1[c], p2[c], beta[bi]);
            const d = aconCHardPartials(x[i], p1[c], p2[c], beta[bi]);
            ref.dx[i] = g[i] * d.dx;
            ref.dp1[c] += g[i] * d.dp1;
            ref.dp2[c] += g[i] * d.dp2;
            ref.db[bi] += g[i] * d.dbeta;
          }
          const what = `β [${bShape}]`;
          assertClose(out[0], ref.y, `${what}: y`);
          assertClose(out[1], ref.dx, `${what}: dx`);
          assertClose(out[2], ref.dp1, `${what}: dp1`, { atolRel: 1e-4 });
          assertClose(out[3], ref.dp2, `${what}: dp2`, { atolRel: 1e-4 });
          assertClose(out[4], ref.db, `${what}: dβ`, { atolRel: 1e-4 });
        }
      });

      it('gradients agree with central finite differences away from the kinks', () => {
        const r = rng(41);
        const n = 4 * 3 * 5;
        const ins = [randomArray(r, n, 2), randomArray(r, 5), randomArray(r, 5), randomArray(r, 5)];
        const shapes = [[4, 3, 5], [5], [5], [5]];
        const g = tf.tensor(randomArray(r, n), [4, 3, 5]);
        const loss = (vals: Float32Array[]) =>
          tf.tidy(
            () =>
              tf
                .sum(tf.mul(f(...(vals.map((v, i) => tf.tensor(v, shapes[i])) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor])), g))
                .dataSync()[0],
          );
        const analytic = valuesAndGrads(
          f,
          ins.map((v, i) => tf.tensor(v, shapes[i])),
          g,
        ).slice(1);
        const h = 1e-3;
        const zAt = (vals: Float32Array[], i: number) => vals[3][i % 5] * (vals[1][i % 5] - vals[2][i % 5]) * vals[0][i];
        for (let which = 0; which < 4; which++)
          for (let k = 0; k < ins[which].length; k++) {
            const plus = ins.map((v) => Float32Array.from(v)),
              minus = ins.map((v) => Float32Array.from(v));
            plus[which][k] += h;
            minus[which][k] -= h;
            // Skip a point if the step crosses a kink for any element it moves.
            const moved = which === 0 ? [k] : Array.from({ length: n }, (_, i) => i).filter((i) => i % 5 === k);
            if (moved.some((i) => Math.sign(Math.abs(zAt(plus, i)) - 3) !== Math.sign(Math.abs(zAt(minus, i)) - 3))) continue;
            const fd = (loss(plus) - loss(minus)) / (2 * h);
            const a = analytic[which][k];
            assert.ok(
              Math.abs(fd - a) <= 2e-2 * (1 + Math.abs(a)),
              `input ${which} element ${k}: analytic ${a} vs finite difference ${fd}`,
            );
          }
        g.dispose();
      });

      if (path === 'fused')
        it('ACON-A and ACON-B take the same gate: x·h(βx) and ACON-C with p1 = 1', () => {
          const x = tf.tensor2d([-5, -2, 0, 1, 2.5, 7], [6, 1]);
          const a = ops.aconA(x, [1], hard).dataSync();
          assertClose(
            a,
            [-5, -2, 0, 1, 2.5, 7].map((v) => v * hardSigmoid(v)),
            'ACON-A',
            { rtol: 1e-6 },
          );
          const b = ops.aconB(x, [0.25], [2], hard).dataSync();
          assertClose(b, ops.aconC(x, [1], [0.25], [2], hard).dataSync(), 'ACON-B vs ACON-C', { rtol: 0 });
          assert.throws(
            () => ops.aconC(x, [1], [0], [1], { gate: 'relu' as never }),
            /aconC: gate must be 'sigmoid' or 'hardSigmoid', got 'relu'/,
          );
          x.dispose();
        });
    });

describe('the gate option of the layers', () => {
  before(() => useBackend('cpu'));

  it('is in the config when not the default, round-trips, and is validated', () => {
    for (const l of [
      new AconA({ gate: 'hardSigmoid' }),
      new AconB({ gate: 'hardSigmoid' }),
      new AconC({ gate: 'hardSigmoid' }),
      new MetaAconC({ gate: 'hardSigmoid' }),
    ]) {
      const config = l.getConfig();
      assert.equal(config.gate, 'hardSigmoid', `${l.getClassName()} config`);
      const again = tfl.layers.Layer.fromConfig(l.constructor as tf.serialization.SerializableConstructor<tfl.layers.Layer>, config);
      assert.equal((again as unknown as { gate: string }).gate, 'hardSigmoid');
    }
    assert.equal(new AconC().getConfig().gate, undefined, 'the default gate is not written');
    assert.throws(() => new AconC({ gate: 'tanh' as never }), /AconC: gate must be 'sigmoid' or 'hardSigmoid', got 'tanh'/);
    assert.throws(() => new MetaAconC({ gate: 'tanh' as never }), /MetaAconC: gate must be 'sigmoid' or 'hardSigmoid', got 'tanh'/);
  });

  for (const backend of KERNEL_BACKENDS)
    it(`computes with the hard gate and survives model.save / tf.loadLayersModel on ${backend}`, async () => {
      await useBackend(backend);
      const input = tfl.input({ shape: [4, 4, 3] });
      let h = layers.aconC({ gate: 'hardSigmoid', preset: 'swish' }).apply(input) as tfl.SymbolicTensor;
      h = layers.metaAconC({ gate: 'hardSigmoid', r: 2 }).apply(h) as tfl.SymbolicTensor;
      const model = tfl.model({ inputs: input, outputs: h });
      const x = tf.tensor(randomArray(rng(42), 2 * 4 * 4 * 3, 4), [2, 4, 4, 3]);
      const first = (model.layers[1].apply(x) as tf.Tensor).dataSync();
      assertClose(
        first,
        Array.from(x.dataSync(), (v) => v * hardSigmoid(v)),
        'AconC swish preset with the hard gate',
        { rtol: 1e-6 },
      );
      let artifacts: tf.io.ModelArtifacts | undefined;
      await model.save(
        tf.io.withSaveHandler(async (a) => {
          artifacts = a;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      const loaded = await tfl.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: JSON.parse(JSON.stringify(artifacts!.modelTopology)),
          weightSpecs: artifacts!.weightSpecs,
          weightData: artifacts!.weightData,
        }),
      );
      assert.deepEqual(
        loaded.layers.slice(1).map((l) => (l as unknown as { gate: string }).gate),
        ['hardSigmoid', 'hardSigmoid'],
      );
      assert.deepEqual(Array.from((loaded.predict(x) as tf.Tensor).dataSync()), Array.from((model.predict(x) as tf.Tensor).dataSync()));
      x.dispose();
    });
});
