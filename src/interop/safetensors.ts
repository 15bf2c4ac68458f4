/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes
 * of JSON `{ "__metadata__"?: {str: str}, key: { dtype, shape, data_offsets: [begin, end] } }`, then
 * the data buffer; offsets are relative to the buffer's start. A valid file's tensors tile the buffer
 * exactly: no overlaps, no gaps, nothing past its end. Browser-safe.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { decodeTensor, elementCount, encodeTensor, isStoredDtype, ITEM_SIZE, type StoredDtype } from './dtypes.js';

export interface SafetensorsEntry {
  key: string;
  dtype: StoredDtype;
  shape: number[];
  /** Byte offsets relative to the data buffer, `end` exclusive. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Where the data buffer starts in the file: 8 + header length. */
  dataStart: number;
}

/** Largest header the reader accepts (the reference implementation's limit). */
const MAX_HEADER_BYTES = 100_000_000;

/** The header length from the first 8 bytes, checked against the file size. */
export function headerLength(first8: Uint8Array, fileSize: number, where = 'safetensors'): number {
  if (fileSize < 8 || first8.byteLength < 8) throw new Error(`${where}: file is ${fileSize} bytes, too short for the 8-byte header length`);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(fileSize - 8))
    throw new Error(`${where}: header length ${n} runs past the end of the file (${fileSize} bytes, ${fileSize - 8} after the length)`);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new Error(`${where}: header length ${n} exceeds ${MAX_HEADER_BYTES} bytes`);
  return Number(n);
}

/** Parses and validates the JSON header; `dataBytes` is the size of the data buffer after it. */
export function parseHeader(json: Uint8Array, dataBytes: number, where = 'safetensors'): SafetensorsHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (e) {
    throw new Error(`${where}: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(`${where}: header must be a JSON object of tensors, got ${Array.isArray(parsed) ? 'an array' : typeof parsed}`);
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new Error(`${where}: __metadata__ must be an object of strings`);
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw new Error(`${where}: __metadata__ '${k}' must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push(parseEntry(key, value, where));
  }
  checkTiling(entries, dataBytes, where);
  return { entries, metadata, dataStart: 8 + json.byteLength };
}

function parseEntry(key: string, value: unknown, where: string): SafetensorsEntry {
  const name = `${where}: tensor '${key}'`;
  if (typeof value !== 'object' || value === null) throw new Error(`${name}: entry must be an object {dtype, shape, data_offsets}`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isStoredDtype(dtype))
    throw new Error(`${name}: unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(ITEM_SIZE).join(', ')})`);
  const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isIndex))
    throw new Error(`${name}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex) || offsets[0] > offsets[1])
    throw new Error(`${name}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got ${JSON.stringify(offsets)}`);
  const [begin, end] = offsets as [number, number];
  const expected = elementCount(shape) * ITEM_SIZE[dtype];
  if (end - begin !== expected)
    throw new Error(
      `${name}: shape [${shape}] of ${dtype} needs ${expected} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
    );
  return { key, dtype, shape, begin, end };
}

/** The tensors, in offset order, must cover [0, dataBytes) exactly. */
function checkTiling(entries: SafetensorsEntry[], dataBytes: number, where: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous: SafetensorsEntry | undefined;
  for (const e of sorted) {
    if (e.end > dataBytes)
      throw new Error(`${where}: tensor '${e.key}' data_offsets [${e.begin}, ${e.end}] run past the end of the data (${dataBytes} bytes)`);
    if (e.begin < at)
      throw new Error(
        `${where}: tensor '${e.key}' data_offsets [${e.begin}, ${e.end}] overlap tensor '${previous!.key}' [${previous!.begin}, ${previous!.end}]`,
      );
    if (e.begin > at)
      throw new Error(
        `${where}: tensor '${e.key}' starts at ${e.begin}, leaving a gap of ${e.begin - at} bytes after ${previous ? `tensor '${previous.key}'` : 'the header'}`,
      );
    at = e.end;
    previous = e;
  }
  if (at !== dataBytes)
    throw new Error(
      `${where}: ${dataBytes - at} bytes after the last tensor${previous ? ` '${previous.key}'` : ''} belong to no tensor (a gap at the end)`,
    );
}

/** Validates a whole file in memory and returns its header. */
export function readSafetensorsHeader(bytes: Uint8Array, where = 'safetensors'): SafetensorsHeader {
  const n = headerLength(bytes.subarray(0, 8), bytes.byteLength, where);
  return parseHeader(bytes.subarray(8, 8 + n), bytes.byteLength - 8 - n, where);
}

/** Every tensor of a safetensors file (F16, BF16, F64 as float32; I64 as int32 when in range, else an error naming the key). */
export function readSafetensors(bytes: Uint8Array): Record<string, tf.Tensor> {
  const header = readSafetensorsHeader(bytes);
  const out: Record<string, tf.Tensor> = {};
  try {
    for (const e of header.entries) {
      const data = bytes.subarray(header.dataStart + e.begin, header.dataStart + e.end);
      out[e.key] = decodeTensor(data, e.dtype, e.shape, `safetensors: tensor '${e.key}'`);
    }
  } catch (err) {
    for (const t of Object.values(out)) t.dispose();
    throw err;
  }
  return out;
}

/** The `__metadata__` of a safetensors file. */
export function readSafetensorsMetadata(bytes: Uint8Array): Record<string, string> {
  return readSafetensorsHeader(bytes).metadata;
}

/**
 * A safetensors file of `tensors` (float32 → F32, int32 → I32, bool → BOOL). Deterministic: keys in
 * sorted order (UTF-16 code units), data in that order, header padded with spaces to 8 bytes, so
 * the same tensors always give the same bytes.
 */
export function writeSafetensors(tensors: Record<string, tf.Tensor>, metadata?: Record<string, string>): Uint8Array {
  const keys = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) {
    const sortedMeta: Record<string, string> = {};
    for (const k of Object.keys(metadata).sort()) {
      if (typeof metadata[k] !== 'string') throw new Error(`writeSafetensors: metadata '${k}' must be a string`);
      sortedMeta[k] = metadata[k];
    }
    header.__metadata__ = sortedMeta;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const key of keys) {
    if (key === '__metadata__') throw new Error(`writeSafetensors: '__metadata__' is reserved and cannot name a tensor`);
    const { dtype, bytes } = encodeTensor(tensors[key], `writeSafetensors: tensor '${key}'`);
    header[key] = { dtype, shape: tensors[key].shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let at = 8 + json.byteLength;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
