import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { FILE_STEMS } from '../../src/data/files.js';
import { DEBIAN_DIR, SAMPLE_DIR } from '../../src/data/sources.js';
import { tempDir } from './fixtures.js';

/** SHA-256 of each uncompressed idx file in `dir`, keyed by file stem. */
function contentHashes(dir: string): Record<string, string> {
  return Object.fromEntries(Object.values(FILE_STEMS).map((stem) => [stem, createHash('sha256').update(gunzipSync(readFileSync(join(dir, `${stem}.gz`)))).digest('hex')]));
}

describe('the bundled sample files', () => {
  it('hold the contents whose hashes its README lists', () => {
    const readme = readFileSync(join(SAMPLE_DIR, 'README.md'), 'utf8');
    const listed = Object.fromEntries([...readme.matchAll(/^([0-9a-f]{64}) {2}(\S+)$/gm)].map((m) => [m[2], m[1]]));
    assert.deepEqual(contentHashes(SAMPLE_DIR), listed);
  });

  it('are what scripts/make-sample.ts makes from the Debian package', { skip: !existsSync(DEBIAN_DIR) && `${DEBIAN_DIR} not installed` }, () => {
    const tmp = tempDir();
    try {
      const root = fileURLToPath(new URL('../../', import.meta.url));
      execFileSync(process.execPath, ['--import', 'tsx', 'scripts/make-sample.ts', DEBIAN_DIR, tmp.dir], { cwd: root, stdio: 'pipe' });
      assert.deepEqual(contentHashes(tmp.dir), contentHashes(SAMPLE_DIR));
    } finally {
      tmp.cleanup();
    }
  });
});
