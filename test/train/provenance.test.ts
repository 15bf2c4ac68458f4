/** What results.json says wrote it: acon's version, and its git commit when there is one (no git is fine). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { currentEnvironment, packageVersion, sourceCommit } from '../../src/train/provenance.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('provenance', () => {
  it("acon's version from package.json; the commit of a git checkout", () => {
    assert.equal(packageVersion(), JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')).version);
    const env = currentEnvironment();
    assert.equal(env.version, packageVersion());
    assert.equal(env.node, process.version);
    if (existsSync(`${ROOT}/.git`)) assert.match(env.commit ?? '', /^[0-9a-f]{40}(\+modified)?$/);
  });

  it('no .git, or no git program: no commit, and no error', () => {
    assert.equal(sourceCommit(mkdtempSync(`${tmpdir()}/acon-nogit-`)), undefined);
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      assert.equal(sourceCommit(ROOT), undefined);
    } finally {
      process.env.PATH = path;
    }
    assert.equal(packageVersion('/nonexistent'), undefined);
  });
});
