/** What wrote a results file: Node, the machine, acon's version and, in a git checkout, its commit. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { EnvironmentRecord } from '../results/schema.js';

/** The package root, from src/train or dist/train alike. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The git commit of acon's own checkout (`.git` in its root), else undefined: no git needed. */
export function sourceCommit(root = ROOT): string | undefined {
  if (!existsSync(`${root}/.git`)) return undefined;
  try {
    const head = execFileSync('git', ['-C', root, 'rev-parse', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
    if (!/^[0-9a-f]{40}$/.test(head)) return undefined;
    const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
    return dirty ? `${head}+modified` : head;
  } catch {
    return undefined;
  }
}

export function packageVersion(root = ROOT): string | undefined {
  try {
    return (JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

export function currentEnvironment(): EnvironmentRecord {
  const version = packageVersion(),
    commit = sourceCommit();
  return {
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    ...(version ? { version } : {}),
    ...(commit ? { commit } : {}),
  };
}
