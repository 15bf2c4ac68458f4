/**
 * An output directory that one process at a time writes: checked for writability before any work,
 * and locked with a file `.acon.lock` (`{ pid, host, command, startedAt }`) created exclusively.
 * A lock whose process is gone is removed; a live one is an error naming that process.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { processAlive } from './atomic_file.js';

export const LOCK_NAME = '.acon.lock';

interface LockInfo {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

function why(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOTDIR: 'a path component is a file, not a directory',
    ENOSPC: 'no space left on the device',
  };
  return err.code ? `${reasons[err.code] ?? err.message} (${err.code})` : err.message;
}

/** Creates `dir` if needed and makes sure a file can be created in it; the error names the path and why. */
export function ensureWritableDir(dir: string, what = 'output directory'): void {
  const path = resolve(dir);
  if (existsSync(path) && !statSync(path).isDirectory()) throw new Error(`${what} ${path} is a file, not a directory`);
  // One level at a time from the nearest existing ancestor: Node's recursive mkdir loops forever
  // on some file systems (/proc).
  const missing: string[] = [];
  let parent = path;
  while (!existsSync(parent) && parent !== dirname(parent)) {
    missing.unshift(parent);
    parent = dirname(parent);
  }
  if (missing.length && !statSync(parent).isDirectory())
    throw new Error(`cannot create ${what} ${path}: ${parent} is a file, not a directory`);
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOENT for a directory whose parent exists: a file system that creates nothing there (/proc).
      const reason = code === 'ENOENT' ? `${dirname(dir)} does not allow creating directories (ENOENT)` : why(e);
      throw new Error(`cannot create ${what} ${path}: ${reason}`);
    }
  }
  const probe = join(path, `.acon-write-test.${process.pid}`);
  try {
    closeSync(openSync(probe, 'w'));
    rmSync(probe, { force: true });
  } catch (e) {
    throw new Error(`cannot write to ${what} ${path}: ${why(e)}`);
  }
}

export interface DirLock {
  path: string;
  release(): void;
}

/**
 * Takes the lock of `dir` (which must exist) for this process; `command` says what holds it.
 * Released by `release()` or, failing that, when the process exits.
 */
export function lockDir(dir: string, command: string): DirLock {
  const path = join(resolve(dir), LOCK_NAME);
  const info: LockInfo = { pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      let other: Partial<LockInfo> = {};
      try {
        other = JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        // A lock being written right now, or damaged: judged by its pid below (none → stale).
      }
      const elsewhere = other.host !== undefined && other.host !== info.host;
      if (typeof other.pid === 'number' && (elsewhere || processAlive(other.pid)))
        throw new Error(
          `${resolve(dir)} is in use by process ${other.pid}${elsewhere ? ` on ${other.host}` : ''} (${other.command ?? 'acon'}, since ${other.startedAt ?? '?'}); ` +
            `wait for it to finish, or choose another --out (if that process is gone, remove ${path})`,
        );
      rmSync(path, { force: true });
    }
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    try {
      if ((JSON.parse(readFileSync(path, 'utf8')) as LockInfo).pid === process.pid) rmSync(path, { force: true });
    } catch {
      // Already gone.
    }
  };
  process.on('exit', release);
  return { path, release };
}
