/**
 * The `acon` entry is browser-safe: no module reachable from src/index.ts imports a Node built-in
 * (`node:*` or a bare `fs`, `path`, …) or uses Node's globals (`Buffer`, `process`, `__dirname`,
 * `require`). The walk follows every static and dynamic import and re-export of the source; the
 * packed-tarball test also bundles the built entry for the browser with esbuild.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { ENTRIES, ROOT } from './api_surface.js';

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;
const NODE_GLOBAL = /\b(Buffer|process|__dirname|__filename|require)\s*[.(]/;

/** The source without comments, so that prose does not count as code. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

interface Finding {
  chain: string[];
  what: string;
}

/** Walks the relative imports from `entry`; returns each Node dependency with the import chain leading to it. */
function nodeDependencies(entry: string): { findings: Finding[]; visited: number } {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    const here = [...chain, relative(ROOT, file)];
    const text = code(readFileSync(file, 'utf8'));
    const global = NODE_GLOBAL.exec(text);
    if (global) findings.push({ chain: here, what: `uses the Node global '${global[1]}'` });
    for (const [, spec] of text.matchAll(SPECIFIER)) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        if (!existsSync(target)) throw new Error(`${relative(ROOT, file)}: import '${spec}' resolves to no file (${target})`);
        walk(target, here);
      } else if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) {
        findings.push({ chain: here, what: `imports '${spec}'` });
      }
    }
  };
  walk(join(ROOT, entry), []);
  return { findings, visited: seen.size };
}

test('nothing reachable from src/index.ts imports node:* or uses Node globals', () => {
  const { findings, visited } = nodeDependencies(ENTRIES.acon);
  assert.ok(visited > 10, `the walk reached only ${visited} modules`);
  assert.deepEqual(
    findings.map((f) => `${f.chain.join(' → ')} ${f.what}`),
    [],
  );
});

test('the walk finds the Node dependencies of acon/node (it is not blind)', () => {
  const { findings } = nodeDependencies(ENTRIES['acon/node']);
  const what = findings.map((f) => f.what);
  assert.ok(what.includes("imports 'node:fs'"), what.join('; '));
  assert.ok(what.includes("uses the Node global 'process'"), what.join('; '));
});
