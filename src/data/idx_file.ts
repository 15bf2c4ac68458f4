/** idx files in Node: read from disk and gunzipped when they start with the gzip magic 1f 8b. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { IdxFormatError, isGzip, parseIdxImages, parseIdxLabels, type IdxImages, type IdxLabels } from './idx.js';

/**
 * The bytes, or their gunzipped contents if they start with the gzip magic 1f 8b, as a plain
 * Uint8Array view (not a Buffer).
 */
export function maybeGunzip(bytes: Uint8Array, file: string): Uint8Array {
  const plain = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (!isGzip(bytes)) return plain(bytes);
  try {
    return plain(gunzipSync(bytes));
  } catch (e) {
    throw new IdxFormatError(file, `corrupt gzip data (${(e as Error).message})`);
  }
}

/** Reads and parses an images file and a labels file that must describe the same number of items. */
export function readIdxPair(imagesFile: string, labelsFile: string, numClasses = 10): { images: IdxImages; labels: IdxLabels } {
  const images = parseIdxImages(maybeGunzip(readFileSync(imagesFile), imagesFile), imagesFile);
  const labels = parseIdxLabels(maybeGunzip(readFileSync(labelsFile), labelsFile), labelsFile, numClasses);
  if (images.count !== labels.count) {
    throw new IdxFormatError(imagesFile, `has ${images.count} images but ${labelsFile} has ${labels.count} labels`);
  }
  return { images, labels };
}

