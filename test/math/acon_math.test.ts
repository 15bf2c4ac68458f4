/** Properties of the ACON family from the paper (§3), checked on the float64 reference math. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DERIVATIVE_OVERSHOOT,
  aconA,
  aconB,
  aconC,
  aconCDerivative,
  aconCDerivativeBounds,
  aconCPartials,
  sigmoid,
  smoothMax,
} from '../../src/math/acon.js';
import { rng } from '../helpers/random.js';

const xs = Array.from({ length: 4001 }, (_, i) => -20 + i * 0.01);

describe('ACON math (float64)', () => {
  it('sigmoid is stable and exact at the extremes', () => {
    assert.equal(sigmoid(0), 0.5);
    assert.equal(sigmoid(-1e308), 0);
    assert.equal(sigmoid(1e308), 1);
    assert.ok(sigmoid(-745) > 0 && sigmoid(-746) === 0);
  });

  it('derivative of ACON-C stays within [1.0998·p2 − 0.0998·p1, 1.0998·p1 − 0.0998·p2] for p1 > p2 and tends to p1, p2', () => {
    assert.equal(DERIVATIVE_OVERSHOOT.toFixed(4), '1.0998');
    const r = rng(1);
    for (let trial = 0; trial < 50; trial++) {
      const p2 = r.normal(),
        p1 = p2 + Math.abs(r.normal()) + 0.01;
      const { lower, upper } = aconCDerivativeBounds(p1, p2);
      for (const beta of [0.1, 0.5, 1, 2, 10, 100]) {
        let lo = Infinity,
          hi = -Infinity;
        for (const u of xs) {
          const d = aconCDerivative(u / (beta * (p1 - p2)), p1, p2, beta);
          lo = Math.min(lo, d);
          hi = Math.max(hi, d);
        }
        assert.ok(lo >= lower - 1e-12 * (p1 - p2), `β=${beta}: min f' ${lo} < bound ${lower}`);
        assert.ok(hi <= upper + 1e-12 * (p1 - p2), `β=${beta}: max f' ${hi} > bound ${upper}`);
        // The bound is tight: the overshoot is reached for any β > 0 at x = ±2.3994/(β(p1−p2)).
        assert.ok(hi > upper - 2e-3 * (p1 - p2), `β=${beta}: bound not reached (${hi} vs ${upper})`);
        assert.ok(Math.abs(aconCDerivative(1e6, p1, p2, beta) - p1) < 1e-9);
        assert.ok(Math.abs(aconCDerivative(-1e6, p1, p2, beta) - p2) < 1e-9);
      }
    }
  });

  it('β → ∞ gives max(p1x, p2x), β = 0 gives the mean, p1 = p2 gives p2x', () => {
    const r = rng(2);
    for (let i = 0; i < 200; i++) {
      const x = r.normal() * 5,
        p1 = r.normal(),
        p2 = r.normal();
      assert.ok(Math.abs(aconC(x, p1, p2, 1e4) - Math.max(p1 * x, p2 * x)) < 1e-3);
      assert.equal(aconC(x, p1, p2, 0), (p1 * x + p2 * x) / 2);
      assert.equal(aconC(x, p2, p2, r.normal()), p2 * x);
    }
  });

  it('ACON-A is x·σ(βx) (Swish) and ACON-B with p = 0 is ACON-A', () => {
    const r = rng(3);
    for (let i = 0; i < 200; i++) {
      const x = r.normal() * 5,
        beta = r.normal() * 3;
      assert.ok(Math.abs(aconA(x, beta) - x * sigmoid(beta * x)) <= 1e-15 * Math.max(1, Math.abs(x)));
      assert.equal(aconB(x, 0, beta), aconA(x, beta));
      assert.equal(smoothMax(x, 0, beta), aconA(x, beta));
    }
  });

  it('closed-form partials match central differences', () => {
    const r = rng(4);
    const h = 1e-6;
    for (let i = 0; i < 200; i++) {
      const [x, p1, p2, beta] = [r.normal() * 3, r.normal(), r.normal(), r.normal() * 2];
      const g = aconCPartials(x, p1, p2, beta);
      const fd = (f: (e: number) => number) => (f(h) - f(-h)) / (2 * h);
      assert.ok(Math.abs(g.dx - fd((e) => aconC(x + e, p1, p2, beta))) < 1e-6);
      assert.ok(Math.abs(g.dp1 - fd((e) => aconC(x, p1 + e, p2, beta))) < 1e-6);
      assert.ok(Math.abs(g.dp2 - fd((e) => aconC(x, p1, p2 + e, beta))) < 1e-6);
      assert.ok(Math.abs(g.dbeta - fd((e) => aconC(x, p1, p2, beta + e))) < 1e-6);
    }
  });

  it('no NaN for huge inputs', () => {
    for (const x of [3e38, -3e38, 1e300, -1e300])
      for (const beta of [-1e3, 0, 1e3]) {
        const g = aconCPartials(x, 1.2, -0.8, beta);
        for (const v of [aconC(x, 1.2, -0.8, beta), g.dx, g.dp1, g.dp2, g.dbeta]) assert.ok(!Number.isNaN(v));
      }
  });
});
