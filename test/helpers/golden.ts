/** Reads the PyTorch golden vectors in place from ../shared/golden/ and converts NCHW → NHWC. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GoldenCase } from './golden_data.js';

export { toNhwc, type GoldenCase } from './golden_data.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GOLDEN_PATH = process.env.ACON_GOLDEN ?? resolve(root, '..', 'shared', 'golden', 'golden.json');

export function loadGolden(): GoldenCase[] | undefined {
  if (!existsSync(GOLDEN_PATH)) {
    console.error(`\n!!!!! GOLDEN VECTORS NOT FOUND at ${GOLDEN_PATH}: the PyTorch comparison tests are SKIPPED !!!!!\n`);
    return undefined;
  }
  return JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')).cases as GoldenCase[];
}
