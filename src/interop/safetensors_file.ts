/**
 * Node-only: reading a safetensors file from disk tensor by tensor, so the file is never held in
 * memory next to the tensors made from it (each tensor's bytes are read once, into the buffer the
 * tensor is decoded from).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type * as tf from '@tensorflow/tfjs-core';
import { decodeTensor } from './dtypes.js';
import { headerLength, parseHeader, type SafetensorsHeader } from './safetensors.js';

function readExactly(fd: number, length: number, position: number, path: string): Uint8Array {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) throw new Error(`${path}: file ended at byte ${position + got}, expected ${length} bytes from ${position}`);
    got += n;
  }
  return buf;
}

function withFile<T>(path: string, f: (fd: number, size: number) => T): T {
  const fd = openSync(path, 'r');
  try {
    return f(fd, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

function header(fd: number, size: number, path: string): SafetensorsHeader {
  const n = headerLength(readExactly(fd, Math.min(8, size), 0, path), size, path);
  return parseHeader(readExactly(fd, n, 8, path), size - 8 - n, path);
}

/** The validated header of a safetensors file (names, dtypes, shapes, metadata), without its data. */
export function readSafetensorsFileHeader(path: string): SafetensorsHeader {
  return withFile(path, (fd, size) => header(fd, size, path));
}

/** Every tensor of a safetensors file, as `readSafetensors` returns them. */
export function readSafetensorsFile(path: string): Record<string, tf.Tensor> {
  return withFile(path, (fd, size) => {
    const h = header(fd, size, path);
    const out: Record<string, tf.Tensor> = {};
    try {
      for (const e of h.entries) {
        const bytes = readExactly(fd, e.end - e.begin, h.dataStart + e.begin, path);
        out[e.key] = decodeTensor(bytes, e.dtype, e.shape, `${path}: tensor '${e.key}'`, true);
      }
    } catch (err) {
      for (const t of Object.values(out)) t.dispose();
      throw err;
    }
    return out;
  });
}
