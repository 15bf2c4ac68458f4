/**
 * Where Fashion-MNIST comes from. Looked up in order: the `--data DIR` option, the `ACON_DATA`
 * environment variable, Debian's `dataset-fashion-mnist` package, the user cache
 * (`$XDG_CACHE_HOME/acon/fashion-mnist` or `~/.cache/acon/fashion-mnist`), then — with
 * `download` — the public mirrors into that cache, and finally the sample bundled with acon.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadFashionMnist, type DownloadOptions } from './download.js';
import { filesIn, type DataFiles } from './files.js';

/** Where `apt-get install dataset-fashion-mnist` puts the files. */
export const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
/** The stratified 6,000/1,000 sample shipped in this repository. */
export const SAMPLE_DIR = fileURLToPath(new URL('../../data/fashion-mnist-sample/', import.meta.url));

export type SourceKind = 'flag' | 'env' | 'debian' | 'cache' | 'download' | 'sample';

export interface DataSource {
  kind: SourceKind;
  dir: string;
  files: DataFiles;
  /** For the user, e.g. `the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist)`. */
  description: string;
}

export interface FindOptions {
  /** `'sample'` takes the bundled sample whatever else is there; default `'auto'`, the lookup order. */
  source?: 'auto' | 'sample';
  /** The `--data DIR` option: must hold the four files. */
  dataDir?: string;
  /** Environment for `ACON_DATA`, `XDG_CACHE_HOME` and `HOME`; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Overrides `DEBIAN_DIR` (for tests). */
  debianDir?: string;
  /** Overrides the user cache directory (default from `env`, see `defaultCacheDir`). */
  cacheDir?: string;
  /** Overrides `SAMPLE_DIR` (for tests). */
  sampleDir?: string;
  /** Fetch the full data set into the cache when no full copy is found (`true`: default mirrors). */
  download?: boolean | DownloadOptions;
}

/** `$XDG_CACHE_HOME/acon/fashion-mnist`, or `~/.cache/acon/fashion-mnist`. */
export function defaultCacheDir(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'acon', 'fashion-mnist');
}

/** Finds the data set (downloading it if asked to) and says where it is. */
export async function findFashionMnist(opts: FindOptions = {}): Promise<DataSource> {
  const env = opts.env ?? process.env;
  const sampleDir = opts.sampleDir ?? SAMPLE_DIR;
  if (opts.source !== 'sample') {
    if (opts.dataDir !== undefined) return required('flag', opts.dataDir, `--data ${opts.dataDir}`);
    if (env.ACON_DATA) return required('env', env.ACON_DATA, `ACON_DATA=${env.ACON_DATA}`);
    const debianDir = opts.debianDir ?? DEBIAN_DIR;
    const cacheDir = opts.cacheDir ?? defaultCacheDir(env);
    const found = optional('debian', debianDir, `the Debian package dataset-fashion-mnist (${debianDir})`)
      ?? optional('cache', cacheDir, `the cache ${cacheDir}`);
    if (found) return found;
    if (opts.download) {
      const files = await downloadFashionMnist(cacheDir, opts.download === true ? {} : opts.download);
      return { kind: 'download', dir: resolve(cacheDir), files, description: `a fresh download into ${cacheDir}` };
    }
  }
  return required('sample', sampleDir, `the bundled sample (6,000 train / 1,000 test images) in ${sampleDir}`);
}

/** A source the user named: it is an error if the files are not all there. */
function required(kind: SourceKind, dir: string, description: string): DataSource {
  if (!existsSync(dir)) throw new Error(`Fashion-MNIST from ${description}: ${dir} does not exist`);
  const { files, missing } = filesIn(resolve(dir));
  if (!files) throw new Error(`Fashion-MNIST from ${description}: ${dir} lacks ${missing.join(', ')}`);
  return { kind, dir: resolve(dir), files, description };
}

/** A place that may hold the data set: skipped unless it holds all four files. */
function optional(kind: SourceKind, dir: string, description: string): DataSource | undefined {
  const { files } = filesIn(resolve(dir));
  return files && { kind, dir: resolve(dir), files, description };
}
