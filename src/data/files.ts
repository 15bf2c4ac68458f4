/** The four files of an MNIST-style data set under their standard names, plain or gzipped. */
import { existsSync } from 'node:fs';
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
    const found = [FILE_STEMS[role], `${FILE_STEMS[role]}.gz`].map((name) => join(dir, name)).find((p) => existsSync(p));
    if (found) files[role] = found;
    else missing.push(`${FILE_STEMS[role]}[.gz]`);
  }
  return missing.length ? { files: undefined, missing } : { files: files as DataFiles, missing: [] };
}
