/** Properties of the ACON family from the paper (§3), checked on the float64 reference math. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DERIVATIVE_OVERSHOOT,
  aconA,
  aconADerivative,
  aconADerivativeBounds,
  aconB,
  aconBDerivative,
  aconBDerivativeBounds,
  aconC,
  aconCDerivative,
  aconCDerivativeBounds,
  aconCPartials,
  sigmoid,
  smoothMax,
  smoothMaximum,
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

  it('n-input smooth maximum: literal values, n = 2 is smoothMax, β → ±∞ gives max/min, β = 0 the mean', () => {
    // S_1(0, 1, 2) = (e + 2e²)/(1 + e + e²); S_−2(3, −1, 0.5) = (3e⁻⁶ − e² + 0.5e⁻¹)/(e⁻⁶ + e² + e⁻¹).
    assert.ok(Math.abs(smoothMaximum([0, 1, 2], 1) - 1.5752103826044415) < 1e-15);
    assert.ok(Math.abs(smoothMaximum([3, -1, 0.5], -2) - -0.9276061118398073) < 1e-15);
    assert.equal(smoothMaximum([4], 3), 4);
    const r = rng(5);
    for (let i = 0; i < 200; i++) {
      const xs = Array.from({ length: 1 + (i % 6) }, () => r.normal() * 5);
      const beta = r.normal() * 3;
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      assert.ok(Math.abs(smoothMaximum(xs, 0) - mean) <= 1e-12 * Math.max(1, Math.abs(mean)));
      assert.ok(Math.abs(smoothMaximum(xs, 1e6) - Math.max(...xs)) < 1e-9);
      assert.ok(Math.abs(smoothMaximum(xs, -1e6) - Math.min(...xs)) < 1e-9);
      const [a, b] = [xs[0], r.normal() * 5];
      assert.ok(Math.abs(smoothMaximum([a, b], beta) - smoothMax(a, b, beta)) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b)));
    }
  });

  it('n-input smooth maximum: no overflow where β·x is large, and an empty list is an error', () => {
    assert.equal(smoothMaximum([1000, 999], 1e3), 1000);
    assert.ok(Math.abs(smoothMaximum([800, 800], 1) - 800) < 1e-12);
    assert.throws(() => smoothMaximum([], 1), /smoothMaximum: needs at least one value/);
  });

  it("ACON-A and ACON-B: f' matches central differences and stays within its bounds, which it reaches", () => {
    const h = 1e-6;
    const fd = (f: (e: number) => number) => (f(h) - f(-h)) / (2 * h);
    assert.equal(aconADerivative(0, 2), 0.5);
    const a = aconADerivativeBounds();
    assert.equal(a.upper, DERIVATIVE_OVERSHOOT);
    assert.ok(Math.abs(a.lower - -0.0998393201288668) < 1e-15);
    const b = aconBDerivativeBounds(0.25);
    assert.ok(Math.abs(b.lower - (0.25 * DERIVATIVE_OVERSHOOT - (DERIVATIVE_OVERSHOOT - 1))) < 1e-15);
    assert.ok(Math.abs(b.upper - (DERIVATIVE_OVERSHOOT - 0.25 * (DERIVATIVE_OVERSHOOT - 1))) < 1e-15);
    const r = rng(6);
    for (let i = 0; i < 200; i++) {
      const [x, p, beta] = [r.normal() * 3, r.normal() * 0.5, r.normal() * 2];
      assert.ok(Math.abs(aconADerivative(x, beta) - fd((e) => aconA(x + e, beta))) < 1e-6);
      assert.ok(Math.abs(aconBDerivative(x, p, beta) - fd((e) => aconB(x + e, p, beta))) < 1e-6);
    }
    for (const beta of [0.5, 1, 10]) {
      const dA = xs.map((x) => aconADerivative(x / beta, beta));
      const dB = xs.map((x) => aconBDerivative(x / (beta * 0.75), 0.25, beta));
      assert.ok(Math.min(...dA) >= a.lower - 1e-12 && Math.max(...dA) <= a.upper + 1e-12);
      assert.ok(Math.min(...dB) >= b.lower - 1e-12 && Math.max(...dB) <= b.upper + 1e-12);
      assert.ok(Math.max(...dA) > a.upper - 2e-3 && Math.min(...dA) < a.lower + 2e-3, `β=${beta}: ACON-A bounds not reached`);
      assert.ok(Math.max(...dB) > b.upper - 2e-3 && Math.min(...dB) < b.lower + 2e-3, `β=${beta}: ACON-B bounds not reached`);
    }
  });
});
