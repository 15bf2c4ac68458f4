/** The explorer's URL state and β slider scale (web/state.ts), in Node. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aconC } from '../../src/math/acon.js';
import {
  BETA_MAX,
  BETA_MIN,
  PRESETS,
  betaFromSlider,
  defaultState,
  roundBeta,
  sliderFromBeta,
  stateFromQuery,
  stateToQuery,
} from '../../web/state.js';

describe('explorer state', () => {
  it('a query round-trips', () => {
    const s = {
      ...defaultState(),
      view: 'train' as const,
      p1: 0.7,
      p2: -0.3,
      beta: 4.5,
      gate: 'hardSigmoid' as const,
      preset: 'custom' as const,
      compare: true,
      inputs: [1, 2, 3],
      backend: 'wasm',
      steps: 40,
      autostart: true,
    };
    assert.equal(
      stateToQuery(s),
      '?view=train&p1=0.7&p2=-0.3&beta=4.5&gate=hardSigmoid&compare=1&inputs=1%2C2%2C3&backend=wasm&steps=40&autostart=1',
    );
    assert.deepEqual(stateFromQuery(stateToQuery(s)), s);
    // The σ gate is the default and is not written.
    const sigmoid = { ...s, gate: 'sigmoid' as const };
    assert.doesNotMatch(stateToQuery(sigmoid), /gate=/);
    assert.deepEqual(stateFromQuery(stateToQuery(sigmoid)), sigmoid);
  });

  it('no query gives the paper preset; bad values fall back or are clamped', () => {
    const d = stateFromQuery('');
    assert.deepEqual([d.view, d.p1, d.p2, d.beta, d.gate, d.preset, d.compare], ['family', 1.2, -0.8, 1, 'sigmoid', 'paper', false]);
    assert.deepEqual(d.inputs, [-1, 0.5, 2, 1.2]);
    const s = stateFromQuery('?view=nope&p1=abc&beta=1e9&preset=zzz&inputs=,&steps=0');
    assert.deepEqual([s.view, s.p1, s.beta, s.preset, s.inputs, s.steps], ['family', 1.2, BETA_MAX, 'custom', [-1, 0.5, 2, 1.2], 1]);
    assert.equal(stateFromQuery('?beta=-50').beta, BETA_MIN);
    assert.equal(stateFromQuery('?gate=tanh').gate, 'sigmoid');
    assert.equal(stateFromQuery('?gate=hardSigmoid').gate, 'hardSigmoid');
  });

  it('the β slider is symmetric-log, inverse both ways, spanning −10 to 100', () => {
    for (const b of [-10, -1, -0.05, 0, 0.01, 0.5, 1, 7, 100])
      assert.ok(Math.abs(betaFromSlider(sliderFromBeta(b)) - b) < 1e-12 * Math.max(1, Math.abs(b)), `β = ${b}`);
    assert.equal(betaFromSlider(0), 0);
    assert.equal(betaFromSlider(1), 0.9);
    assert.equal(betaFromSlider(-1), -0.9);
    assert.equal(roundBeta(1.23456), 1.23);
    assert.equal(roundBeta(-0.0012345), -0.00123);
  });

  it('the presets are the documented values', () => {
    const table = Object.fromEntries(Object.entries(PRESETS).map(([k, p]) => [k, [p.p1, p.p2, p.beta]]));
    // The ReLU preset's documented accuracy: f within 0.003 of max(x, 0).
    let gap = 0;
    for (let x = -1; x <= 1; x += 1e-4) gap = Math.max(gap, Math.abs(aconC(x, 1, 0, PRESETS.relu.beta) - Math.max(x, 0)));
    assert.ok(gap > 0.0027 && gap < 0.003, `gap ${gap}`);
    assert.deepEqual(table, {
      swish: [1, 0, 1],
      aconB: [1, 0.25, 1],
      relu: [1, 0, 100],
      linear: [1, 0, 0],
      paper: [1.2, -0.8, 1],
      hardAconA: [1, 0, 1],
    });
    const gates = Object.fromEntries(Object.entries(PRESETS).map(([k, p]) => [k, 'gate' in p ? p.gate : 'sigmoid']));
    assert.deepEqual(gates, {
      swish: 'sigmoid',
      aconB: 'sigmoid',
      relu: 'sigmoid',
      linear: 'sigmoid',
      paper: 'sigmoid',
      hardAconA: 'hardSigmoid',
    });
  });
});
