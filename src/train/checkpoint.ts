/**
 * Training checkpoints: one file per run, replaced atomically at the end of every epoch, holding
 * everything needed to continue bit-for-bit: weights, non-trainable state (BN statistics),
 * optimizer velocity, and the records so far.
 *
 * Format: the 8 bytes `ACONCKPT`, a uint32 (little-endian) header length, the JSON header, then the
 * float32 arrays named in the header, in order, each starting at a 4-byte-aligned offset.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic_file.js';

const MAGIC = 'ACONCKPT';

export interface CheckpointHeader {
  version: 1;
  /** Identifies the run's settings (JSON of `RunIdentity`); a checkpoint of other settings is not resumed. */
  runKey: string;
  /** Number of completed epochs. */
  epoch: number;
  /** Anything JSON the trainer needs (records, counters). */
  meta: Record<string, unknown>;
}

export interface Checkpoint {
  header: CheckpointHeader;
  arrays: Record<string, Float32Array>;
}

export function writeCheckpoint(path: string, ckpt: Checkpoint): void {
  const names = Object.keys(ckpt.arrays);
  const header = Buffer.from(JSON.stringify({ ...ckpt.header, arrays: names.map((n) => [n, ckpt.arrays[n].length]) }), 'utf8');
  const pad = (4 - ((MAGIC.length + 4 + header.length) % 4)) % 4;
  const prefix = Buffer.alloc(MAGIC.length + 4 + header.length + pad, 0x20);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(header.length + pad, MAGIC.length);
  header.copy(prefix, MAGIC.length + 4);
  writeFileAtomic(path, [
    prefix,
    ...names.map((n) => new Uint8Array(ckpt.arrays[n].buffer, ckpt.arrays[n].byteOffset, ckpt.arrays[n].byteLength)),
  ]);
}

/** Reads a checkpoint; undefined if the file does not exist; an error naming the file if it is damaged. */
export function readCheckpoint(path: string): Checkpoint | undefined {
  if (!existsSync(path)) return undefined;
  const buf = readFileSync(path);
  const bad = (what: string): never => {
    throw new Error(`checkpoint ${path}: ${what}`);
  };
  if (buf.length < MAGIC.length + 4 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) bad('not an acon checkpoint (bad magic)');
  const headerLength = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + headerLength > buf.length) bad(`truncated header (${headerLength} bytes announced, ${buf.length - start} present)`);
  let parsed: CheckpointHeader & { arrays: [string, number][] };
  try {
    parsed = JSON.parse(buf.toString('utf8', start, start + headerLength));
  } catch {
    return bad('header is not valid JSON');
  }
  if (parsed.version !== 1) bad(`unsupported version ${parsed.version}`);
  const arrays: Record<string, Float32Array> = {};
  let off = start + headerLength;
  for (const [name, length] of parsed.arrays) {
    if (off + 4 * length > buf.length) bad(`truncated: array '${name}' needs ${4 * length} bytes at offset ${off}, file has ${buf.length}`);
    arrays[name] = new Float32Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + 4 * length));
    off += 4 * length;
  }
  if (off !== buf.length) bad(`${buf.length - off} unexpected trailing bytes`);
  const { arrays: _names, ...header } = parsed;
  return { header, arrays };
}

/** The header of a checkpoint without reading its arrays; undefined if the file does not exist. */
export function readCheckpointHeader(path: string): CheckpointHeader | undefined {
  if (!existsSync(path)) return undefined;
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(MAGIC.length + 4);
    if (readSync(fd, head, 0, head.length, 0) < head.length || head.toString('latin1', 0, MAGIC.length) !== MAGIC)
      throw new Error(`checkpoint ${path}: not an acon checkpoint (bad magic)`);
    const json = Buffer.alloc(head.readUInt32LE(MAGIC.length));
    if (readSync(fd, json, 0, json.length, head.length) < json.length) throw new Error(`checkpoint ${path}: truncated header`);
    try {
      const { arrays: _names, ...header } = JSON.parse(json.toString('utf8')) as CheckpointHeader & { arrays: unknown };
      return header;
    } catch {
      throw new Error(`checkpoint ${path}: header is not valid JSON`);
    }
  } finally {
    closeSync(fd);
  }
}
