/** The n-input smooth maximum S_β (paper eq. 1) on the float64 reference math. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { smoothMax, smoothMaximum } from '../../src/math/acon.js';

describe('smoothMaximum (n inputs)', () => {
  const xs = [-1.5, 0.25, 2, 0.75];

  it('β = 0 gives the mean, β → ±∞ the max and the min', () => {
    assert.equal(smoothMaximum(xs, 0), 0.375);
    assert.equal(smoothMaximum(xs, Infinity), 2);
    assert.equal(smoothMaximum(xs, -Infinity), -1.5);
    assert.ok(Math.abs(smoothMaximum(xs, 60) - 2) < 1e-12);
    assert.ok(Math.abs(smoothMaximum(xs, -60) + 1.5) < 1e-12);
  });

  it('a literal case: S_1(0, 1, 2) = (e + 2e²)/(1 + e + e²)', () => {
    const e = Math.E;
    assert.ok(Math.abs(smoothMaximum([0, 1, 2], 1) - (e + 2 * e * e) / (1 + e + e * e)) < 1e-15);
  });

  it('for two values it is smoothMax, and it grows with β', () => {
    for (const beta of [-3, -0.5, 0, 0.7, 4])
      assert.ok(Math.abs(smoothMaximum([1.3, -0.4], beta) - smoothMax(1.3, -0.4, beta)) < 1e-14, `β = ${beta}`);
    let last = -Infinity;
    for (let beta = -5; beta <= 5; beta += 0.25) {
      const s = smoothMaximum(xs, beta);
      assert.ok(s >= last, `not increasing at β = ${beta}`);
      last = s;
    }
  });

  it('finite for huge β·x and names an empty input', () => {
    assert.equal(smoothMaximum([1e300, -1e300], 1e10), 1e300);
    assert.throws(() => smoothMaximum([], 1), /smoothMaximum: needs at least one value, got none/);
  });
});
