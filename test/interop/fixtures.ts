/** Hand-made safetensors and pickle bytes for the interop tests, and the shared reference files. */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED_INTEROP = resolve(root, '..', 'shared', 'interop');

/** Path of a shared reference file, or undefined (with a loud message) when it is absent. */
export function sharedFile(name: string): string | undefined {
  const p = resolve(SHARED_INTEROP, name);
  if (!existsSync(p)) {
    console.error(`\n!!!!! ${p} NOT FOUND: the tests that read it are SKIPPED !!!!!\n`);
    return undefined;
  }
  return p;
}

/** A safetensors file from a header (object or raw text), data bytes, and optionally a false header length. */
export function rawSafetensors(header: object | string, data: Uint8Array = new Uint8Array(0), declaredLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(declaredLength ?? json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

export function u16Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Uint16Array.from(values).buffer);
}

export function i64Bytes(values: bigint[]): Uint8Array {
  return new Uint8Array(BigInt64Array.from(values).buffer);
}
