/** Tiny MNIST-style data sets written into temporary directories, for the data-layer tests. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FILE_STEMS } from '../../src/data/files.js';
import { encodeIdxImages, encodeIdxLabels } from '../../src/data/idx.js';

/** A fresh temporary directory, removed by the returned `cleanup`. */
export function tempDir(prefix = 'acon-data-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `count` images `rows`×`cols` whose pixel j of image i is (i·31 + j) mod 256, labels i mod 10. */
export function tinyImages(count: number, rows = 28, cols = 28): { pixels: Uint8Array; labels: Uint8Array } {
  const px = rows * cols;
  const pixels = Uint8Array.from({ length: count * px }, (_, k) => (Math.floor(k / px) * 31 + (k % px)) % 256);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { pixels, labels };
}

/** The encoded files of a data set with `train` and `test` items (labels cycling 0..9), keyed by file name. */
export function tinyDatasetFiles(train = 30, test = 20, gzip = false): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const suffix = gzip ? '.gz' : '';
  const enc = (b: Uint8Array) => (gzip ? new Uint8Array(gzipSync(b)) : b);
  for (const [count, imagesStem, labelsStem] of [[train, FILE_STEMS.trainImages, FILE_STEMS.trainLabels], [test, FILE_STEMS.testImages, FILE_STEMS.testLabels]] as const) {
    const { pixels, labels } = tinyImages(count);
    files.set(imagesStem + suffix, enc(encodeIdxImages({ count, rows: 28, cols: 28, pixels })));
    files.set(labelsStem + suffix, enc(encodeIdxLabels(labels)));
  }
  return files;
}

/** Writes a tiny data set into `dir` (created if needed) and returns `dir`. */
export function writeTinyDataset(dir: string, train = 30, test = 20, gzip = false): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of tinyDatasetFiles(train, test, gzip)) writeFileSync(join(dir, name), bytes);
  return dir;
}
