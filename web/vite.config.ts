/**
 * Vite config of the explorer (web/): `acon` resolves to the library's source entry, so the page
 * runs the package's own math, ops and layers. Output: dist-web/ (git-ignored).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export const EXPLORER_OUT_DIR = here('../dist-web');

export default defineConfig({
  root: here('.'),
  base: './',
  logLevel: 'warn',
  resolve: {
    alias: {
      acon: here('../src/index.ts'),
    },
  },
  build: {
    outDir: EXPLORER_OUT_DIR,
    emptyOutDir: true,
    target: 'es2022',
    // The data sample and the .wasm binaries stay files (fetched when needed), never inlined.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 4096,
  },
});
