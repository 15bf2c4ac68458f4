/**
 * Each entry's exported names and kinds against `api_snapshot.json`, so that a change to the
 * public API is deliberate. After one, regenerate the snapshot and review its diff:
 *   UPDATE_API_SNAPSHOT=1 node --import tsx --test test/api/api_snapshot.test.ts
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from '../../src/util/atomic_file.js';
import { apiSurface, ROOT } from './api_surface.js';

const SNAPSHOT = join(ROOT, 'test', 'api', 'api_snapshot.json');

test('the exported names and kinds of acon and acon/node match the snapshot', async () => {
  const actual = await apiSurface();
  if (process.env.UPDATE_API_SNAPSHOT === '1') {
    writeFileAtomic(SNAPSHOT, JSON.stringify(actual, null, 2) + '\n');
    return;
  }
  const expected = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as unknown;
  assert.deepEqual(
    actual,
    expected,
    `the public API differs from ${SNAPSHOT}; if the change is deliberate, regenerate it: ` +
      'UPDATE_API_SNAPSHOT=1 node --import tsx --test test/api/api_snapshot.test.ts',
  );
});
