/** The one duration formatter (terminal progress and report). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration } from '../../src/util/duration.js';

describe('formatDuration', () => {
  it('seconds, minutes, hours; unknown as ?', () => {
    assert.equal(formatDuration(0), '0 s');
    assert.equal(formatDuration(44.6), '45 s');
    assert.equal(formatDuration(200), '3 min 20 s');
    assert.equal(formatDuration(3900), '1 h 05 min');
    assert.equal(formatDuration(Infinity), '?');
    assert.equal(formatDuration(-1), '?');
    assert.equal(formatDuration(NaN), '?');
  });
});
