/**
 * Every PyTorch golden case (../shared/golden/golden.json, official nmaac/acon modules) through the
 * public layers and the op, on each backend: outputs, all gradients, BatchNorm buffers. The checks
 * themselves are shared with the browser tests (test/helpers/golden_cases.ts).
 */
import { describe, it, before } from 'node:test';
import { KERNEL_BACKENDS, useBackend } from './helpers/backends.js';
import { checkLayerCase, checkOpCase } from './helpers/golden_cases.js';
import { loadGolden } from './helpers/golden.js';

const cases = loadGolden();

for (const backend of KERNEL_BACKENDS) {
  describe(`golden vectors from PyTorch on ${backend}`, { skip: cases ? false : 'golden.json not found (see message above)' }, () => {
    before(() => useBackend(backend));
    for (const c of cases ?? []) {
      it(`${c.name}: layer ${c.module} (${c.mode}) matches y, every gradient and buffers`, () => checkLayerCase(c));
      it(`${c.name}: op matches`, () => checkOpCase(c));
    }
  });
}
