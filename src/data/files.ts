/** The four files of an MNIST-style data set under their standard names, plain or gzipped. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** File names without the optional `.gz`, as published for MNIST and Fashion-MNIST. */
export const FILE_STEMS = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export type FileRole = keyof typeof FILE_STEMS;
export const FILE_ROLES = Object.keys(FILE_STEMS) as FileRole[];

/** Paths of the four files. */
export type DataFiles = Record<FileRole, string>;

/**
 * The four files in `dir` (each `STEM` or `STEM.gz`, the plain one preferred), or the names of
 * those that are missing.
 */
export function filesIn(dir: string): { files: DataFiles; missing: [] } | { files: undefined; missing: string[] } {
  const files: Partial<DataFiles> = {};
  const missing: string[] = [];
  for (const role of FILE_ROLES) {
    const candidates = [FILE_STEMS[role], `${FILE_STEMS[role]}.gz`].map((name) => join(dir, name));
    const found = candidates.find(isFile);
    const notFile = candidates.find((p) => existsSync(p));
    if (found) files[role] = found;
    else missing.push(notFile ? `${FILE_STEMS[role]}[.gz] (${notFile} is a directory, not a file)` : `${FILE_STEMS[role]}[.gz]`);
  }
  return missing.length ? { files: undefined, missing } : { files: files as DataFiles, missing: [] };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The fingerprint of a data set: SHA-256 over the hex SHA-256 digests of the four files' bytes
 * (train images, train labels, test images, test labels), joined by newlines.
 */
export function hashDataFiles(files: DataFiles): string {
  const digests = FILE_ROLES.map((role) => createHash('sha256').update(readFileSync(files[role])).digest('hex'));
  return createHash('sha256').update(digests.join('\n')).digest('hex');
}
