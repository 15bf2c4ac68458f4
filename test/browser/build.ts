/**
 * Builds a browser page with Vite into a temporary directory: the browser tests and the browser
 * benchmark share it. Returns the directory; the caller serves it with `serveStatic`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Static mounts every acon page needs: tfjs's wasm binaries and the shared reference data (read in place). */
export function pageMounts(pageDir: string): Record<string, string> {
  return {
    '/': pageDir,
    '/tfjs-wasm/': join(REPO_ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist'),
    '/shared/': resolve(REPO_ROOT, '..', 'shared'),
  };
}

/** Bundles `root/index.html` (and what it imports) without minification, for readable stack traces. */
export async function buildPage(root: string): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'acon-page-'));
  await build({
    root,
    logLevel: 'warn',
    configFile: false,
    base: './',
    build: { outDir, emptyOutDir: true, minify: false, target: 'es2022', sourcemap: 'inline', reportCompressedSize: false },
  });
  return outDir;
}
