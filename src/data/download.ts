/**
 * Fetching Fashion-MNIST from its public mirrors into a directory. All four files are fetched and
 * checked against their published checksums before any is written; each is then written
 * atomically, so the directory holds either a complete verified set or what it held before.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic_file.js';
import { FILE_ROLES, FILE_STEMS, type DataFiles, type FileRole } from './files.js';

/** The data set's mirrors, tried in order; each serves `<stem>.gz`. */
export const FASHION_MNIST_MIRRORS = [
  'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
  'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
] as const;

export interface Checksum {
  algorithm: 'md5' | 'sha256';
  /** Lower-case hex. */
  digest: string;
}

/** The MD5 checksums of the `.gz` files as published in the Fashion-MNIST README. */
export const FASHION_MNIST_CHECKSUMS: Record<FileRole, Checksum> = {
  trainImages: { algorithm: 'md5', digest: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
  trainLabels: { algorithm: 'md5', digest: '25c81989df183df01b3e8a0aad5dffbe' },
  testImages: { algorithm: 'md5', digest: 'bef4ecab320f06d8554ea6380940ec79' },
  testLabels: { algorithm: 'md5', digest: 'bb300cfdad3c16e7a12a480ee83cd310' },
};

export interface DownloadOptions {
  /** One mirror to use instead of `FASHION_MNIST_MIRRORS` (e.g. a local server in tests). */
  baseUrl?: string;
  /** Expected checksums of the four `.gz` files; default `FASHION_MNIST_CHECKSUMS`. */
  checksums?: Record<FileRole, Checksum>;
  /** Per-request time limit, body included; default 5 minutes. */
  timeoutMs?: number;
  /**
   * How long a mirror may take to answer a request (the response headers) before the next one is
   * tried; default `ACON_DOWNLOAD_TIMEOUT` seconds from the environment, else 30 s.
   */
  answerTimeoutMs?: number;
  /** Progress messages. */
  log?(message: string): void;
}

/** Downloads the four `.gz` files into `dir` and returns their paths. */
export async function downloadFashionMnist(dir: string, opts: DownloadOptions = {}): Promise<DataFiles> {
  const mirrors = opts.baseUrl !== undefined ? [opts.baseUrl] : [...FASHION_MNIST_MIRRORS];
  const checksums = opts.checksums ?? FASHION_MNIST_CHECKSUMS;
  const fetched = new Map<FileRole, Uint8Array>();
  for (const role of FILE_ROLES) {
    fetched.set(role, await fetchVerified(`${FILE_STEMS[role]}.gz`, mirrors, checksums[role], opts));
  }
  const files = {} as DataFiles;
  for (const [role, bytes] of fetched) {
    files[role] = join(dir, `${FILE_STEMS[role]}.gz`);
    writeFileAtomic(files[role], bytes);
  }
  opts.log?.(`saved Fashion-MNIST in ${dir}`);
  return files;
}

/** Environment variable: seconds a mirror may take to answer (`DownloadOptions.answerTimeoutMs`). */
export const DOWNLOAD_TIMEOUT_ENV = 'ACON_DOWNLOAD_TIMEOUT';
const DEFAULT_ANSWER_MS = 30_000;

function answerTimeout(opts: DownloadOptions): number {
  if (opts.answerTimeoutMs !== undefined) return opts.answerTimeoutMs;
  const env = process.env[DOWNLOAD_TIMEOUT_ENV];
  if (env === undefined || env.trim() === '') return DEFAULT_ANSWER_MS;
  const seconds = Number(env);
  if (!(seconds > 0)) throw new Error(`${DOWNLOAD_TIMEOUT_ENV} must be a number of seconds > 0, got '${env}'`);
  return seconds * 1000;
}

/** `fetch(url)`, failing with a message naming `mirror` if no answer (headers) comes within `answerMs`. */
async function fetchAnswered(url: string, mirror: string, answerMs: number, totalMs: number): Promise<Response> {
  const silent = new AbortController();
  const timer = setTimeout(() => silent.abort(), answerMs);
  try {
    return await fetch(url, { signal: AbortSignal.any([silent.signal, AbortSignal.timeout(totalMs)]) });
  } catch (e) {
    if (silent.signal.aborted) throw new Error(`no answer from the mirror ${mirror} within ${answerMs / 1000} s`);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** The first copy of `name` from `mirrors` whose checksum matches; the error lists every failure. */
async function fetchVerified(name: string, mirrors: string[], expected: Checksum, opts: DownloadOptions): Promise<Uint8Array> {
  const failures: string[] = [];
  const answerMs = answerTimeout(opts);
  for (const mirror of mirrors) {
    const url = new URL(name, mirror.endsWith('/') ? mirror : `${mirror}/`).href;
    opts.log?.(`downloading ${url}`);
    try {
      const res = await fetchAnswered(url, mirror, answerMs, opts.timeoutMs ?? 300_000);
      if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      const actual = createHash(expected.algorithm).update(bytes).digest('hex');
      if (actual !== expected.digest.toLowerCase()) {
        throw new Error(`checksum mismatch: ${expected.algorithm} of the ${bytes.length} bytes received is ${actual}, expected ${expected.digest}`);
      }
      return bytes;
    } catch (e) {
      failures.push(`${url}: ${describeError(e)}`);
    }
  }
  throw new Error(`could not download ${name}; nothing was saved:\n  ${failures.join('\n  ')}`);
}

/** An error's message, with its cause's (fetch reports network errors as 'fetch failed' + cause). */
function describeError(e: unknown): string {
  const err = e as Error & { cause?: unknown };
  return err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message;
}
