/** The output directory: writable before any work, one process at a time, leftovers of killed writers removed. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureWritableDir, LOCK_NAME, lockDir } from '../../src/util/output_dir.js';
import { removeStaleTemporaries } from '../../src/util/atomic_file.js';

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('output directory', () => {
  it('an existing file, a path under a file, /sys: errors naming the path, before any work', () => {
    const dir = mkdtempSync(join(tmpdir(), 'acon-out-'));
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    assert.throws(() => ensureWritableDir(file, '--out directory'), new RegExp(`--out directory ${file} is a file, not a directory`));
    assert.throws(
      () => ensureWritableDir(join(file, 'sub')),
      new RegExp(`cannot create output directory ${file}/sub: ${file} is a file, not a directory`),
    );
    assert.throws(() => ensureWritableDir('/sys/acon-test-out'), /cannot (create|write to) output directory \/sys\/acon-test-out: /);
    assert.throws(
      () => ensureWritableDir('/proc/acon-test/out'),
      /cannot create output directory \/proc\/acon-test\/out: \/proc does not allow creating directories/,
    );
    ensureWritableDir(join(dir, 'new', 'deeper'));
    assert.ok(existsSync(join(dir, 'new', 'deeper')));
    assert.deepEqual(readdirSync(join(dir, 'new', 'deeper')), []);
  });

  it('a second lock on a directory names the process that holds it; release frees it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'acon-lock-'));
    const lock = lockDir(dir, 'acon compare');
    assert.throws(() => lockDir(dir, 'acon train'), new RegExp(`${dir} is in use by process ${process.pid} \\(acon compare, since `));
    lock.release();
    assert.ok(!existsSync(join(dir, LOCK_NAME)));
    lockDir(dir, 'acon train').release();
  });

  it('a stale lock of a dead process is removed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'acon-lock-'));
    writeFileSync(join(dir, LOCK_NAME), JSON.stringify({ pid: deadPid(), host: hostname(), command: 'acon compare', startedAt: 'then' }));
    const lock = lockDir(dir, 'acon compare');
    assert.match(readFileSync(join(dir, LOCK_NAME), 'utf8'), new RegExp(`"pid":${process.pid}`));
    lock.release();
  });

  it('temporaries of dead writers are removed; those of live ones and other files stay', () => {
    const dir = mkdtempSync(join(tmpdir(), 'acon-tmp-'));
    mkdirSync(dir, { recursive: true });
    const dead = `.relu_seed1.ckpt.${deadPid()}.1733000000000.tmp`;
    const live = `.relu_seed2.ckpt.${process.pid}.1733000000000.tmp`;
    for (const name of [dead, live, 'relu_seed1.ckpt', '.notes.tmp']) writeFileSync(join(dir, name), 'x');
    assert.deepEqual(removeStaleTemporaries(dir), [dead]);
    assert.deepEqual(readdirSync(dir).sort(), [live, '.notes.tmp', 'relu_seed1.ckpt'].sort());
    assert.deepEqual(removeStaleTemporaries(join(dir, 'missing')), []);
  });
});
