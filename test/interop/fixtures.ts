/** Hand-made safetensors and pickle bytes for the interop tests, and the shared reference files. */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/interop/zip.js';

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

// ---- crafted pickles and torch.save-style zip archives ----

/** A value for `pickleBytes`: the Python object it stands for. */
export type Py =
  | null
  | boolean
  | number
  | string
  | Py[]
  | Map<Py, Py>
  | { global: string }
  | { call: Py; args: Py[] }
  | { persid: Py[] }
  | { build: Py; state: Py };

/** Protocol-2 pickle bytes of `value` (no memo), as CPython's pickler would write them. */
export function pickleBytes(value: Py): Uint8Array {
  const out: number[] = [0x80, 2];
  const text = (s: string) => Array.from(new TextEncoder().encode(s));
  const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
  const emit = (v: Py): void => {
    if (v === null) out.push(0x4e);
    else if (v === true) out.push(0x88);
    else if (v === false) out.push(0x89);
    else if (typeof v === 'number') {
      if (!Number.isInteger(v)) {
        const b = new DataView(new ArrayBuffer(8));
        b.setFloat64(0, v, false);
        out.push(0x47, ...new Uint8Array(b.buffer));
      } else if (v >= 0 && v < 256) out.push(0x4b, v);
      else if (v >= 0 && v < 65536) out.push(0x4d, v & 0xff, v >> 8);
      else out.push(0x4a, ...u32(v));
    } else if (typeof v === 'string') {
      const b = text(v);
      out.push(0x58, ...u32(b.length), ...b);
    } else if (Array.isArray(v)) {
      if (v.length === 0) out.push(0x29);
      else {
        out.push(0x28);
        v.forEach(emit);
        out.push(0x74);
      }
    } else if (v instanceof Map) {
      out.push(0x7d);
      if (v.size) {
        out.push(0x28);
        for (const [k, x] of v) (emit(k), emit(x));
        out.push(0x75);
      }
    } else if ('global' in v) {
      const dot = v.global.lastIndexOf('.');
      out.push(0x63, ...text(`${v.global.slice(0, dot)}\n${v.global.slice(dot + 1)}\n`));
    } else if ('call' in v) {
      emit(v.call);
      emit(v.args);
      out.push(0x52);
    } else if ('persid' in v) {
      emit(v.persid);
      out.push(0x51);
    } else {
      emit(v.build);
      emit(v.state);
      out.push(0x62);
    }
  };
  emit(value);
  out.push(0x2e);
  return Uint8Array.from(out);
}

/** `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())` over a persistent storage. */
export function pyTensor(o: { storageType: string; key: string; numel: number; offset?: number; shape: number[]; stride?: number[] }): Py {
  const contiguous = (shape: number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  return {
    call: { global: 'torch._utils._rebuild_tensor_v2' },
    args: [
      { persid: ['storage', { global: `torch.${o.storageType}` }, o.key, 'cpu', o.numel] },
      o.offset ?? 0,
      o.shape,
      o.stride ?? contiguous(o.shape),
      false,
      { call: { global: 'collections.OrderedDict' }, args: [] },
    ],
  };
}

/** `OrderedDict(entries)` with the `_metadata` attribute state_dict() sets, as torch.save pickles it. */
export function pyOrderedDict(entries: [string, Py][]): Py {
  const dict: Py = { call: { global: 'collections.OrderedDict' }, args: [entries.map(([k, v]) => [k, v])] };
  return { build: dict, state: new Map<Py, Py>([['_metadata', new Map()]]) };
}

/** A zip archive of `files` (stored, or deflated with `deflate`), with CRC-32s, like torch.save writes. */
export function zipBytes(files: Record<string, Uint8Array>, opts: { deflate?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const names = Object.keys(files);
  for (const name of names) {
    const data = files[name];
    const stored = opts.deflate ? new Uint8Array(deflateRawSync(data)) : data;
    const nameBytes = new TextEncoder().encode(name);
    const crc = crc32(data);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(8, opts.deflate ? 8 : 0, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, stored.byteLength, true);
    local.setUint32(22, data.byteLength, true);
    local.setUint16(26, nameBytes.byteLength, true);
    const c = new DataView(new ArrayBuffer(46));
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 20, true);
    c.setUint16(6, 20, true);
    c.setUint16(10, opts.deflate ? 8 : 0, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, stored.byteLength, true);
    c.setUint32(24, data.byteLength, true);
    c.setUint16(28, nameBytes.byteLength, true);
    c.setUint32(42, offset, true);
    parts.push(new Uint8Array(local.buffer), nameBytes, stored);
    central.push(new Uint8Array(c.buffer), nameBytes);
    offset += 30 + nameBytes.byteLength + stored.byteLength;
  }
  const cdSize = central.reduce((a, b) => a + b.byteLength, 0);
  const eocd = new DataView(new ArrayBuffer(22));
  eocd.setUint32(0, 0x06054b50, true);
  eocd.setUint16(8, names.length, true);
  eocd.setUint16(10, names.length, true);
  eocd.setUint32(12, cdSize, true);
  eocd.setUint32(16, offset, true);
  const all = [...parts, ...central, new Uint8Array(eocd.buffer)];
  const out = new Uint8Array(all.reduce((a, b) => a + b.byteLength, 0));
  let at = 0;
  for (const p of all) (out.set(p, at), (at += p.byteLength));
  return out;
}

/** A torch.save-style archive: `<archive>/data.pkl`, `<archive>/data/<key>`, `<archive>/version`. */
export function torchZip(
  pickle: Uint8Array,
  storages: Record<string, Uint8Array>,
  opts: { archive?: string; deflate?: boolean; byteorder?: string } = {},
): Uint8Array {
  const a = opts.archive ?? 'archive';
  const files: Record<string, Uint8Array> = { [`${a}/data.pkl`]: pickle };
  if (opts.byteorder) files[`${a}/byteorder`] = new TextEncoder().encode(opts.byteorder);
  for (const [k, v] of Object.entries(storages)) files[`${a}/data/${k}`] = v;
  files[`${a}/version`] = new TextEncoder().encode('3\n');
  return zipBytes(files, opts);
}
