/**
 * A small read-only zip reader (PKWARE APPNOTE): the central directory (zip64 included), stored
 * and deflated entries, CRC-32 checked. Enough for `torch.save` archives, which store their
 * entries uncompressed and 64-byte aligned. Deflate goes through the platform's
 * `DecompressionStream('deflate-raw')` (Node ≥ 20, browsers), so inflating is asynchronous.
 */

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Where the entry's (compressed) data starts in the archive. */
  dataOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === SIG_LOCAL;
}

/** The archive's entries by name, from its central directory; every offset is checked against the archive's size. */
export function readZipDirectory(bytes: Uint8Array, where = 'zip'): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.byteLength;
  const u16 = (o: number) => view.getUint16(o, true);
  const u32 = (o: number) => view.getUint32(o, true);
  const u64 = (o: number) => {
    const v = view.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${where}: a zip64 field (${v}) is too large`);
    return Number(v);
  };
  const need = (offset: number, length: number, what: string) => {
    if (!(offset >= 0 && offset + length <= size))
      throw new Error(
        `${where}: ${what} at byte ${offset} (+${length}) runs past the end of the archive (${size} bytes); the file is truncated or corrupt`,
      );
  };
  // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let o = size - 22; o >= Math.max(0, size - 22 - 0xffff); o--) {
    if (u32(o) === SIG_EOCD) {
      eocd = o;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${where}: no zip end-of-central-directory record; the file is truncated or not a zip archive`);
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  if (eocd >= 20 && u32(eocd - 20) === SIG_ZIP64_LOCATOR) {
    const z64 = u64(eocd - 20 + 8);
    need(z64, 56, 'the zip64 end-of-central-directory record');
    if (u32(z64) !== SIG_ZIP64_EOCD) throw new Error(`${where}: the zip64 locator points to byte ${z64}, which holds no zip64 record`);
    count = u64(z64 + 32);
    cdSize = u64(z64 + 40);
    cdOffset = u64(z64 + 48);
  }
  need(cdOffset, cdSize, 'the central directory');
  const entries = new Map<string, ZipEntry>();
  let o = cdOffset;
  for (let i = 0; i < count; i++) {
    need(o, 46, `central directory entry ${i}`);
    if (u32(o) !== SIG_CENTRAL) throw new Error(`${where}: central directory entry ${i} at byte ${o} has a bad signature`);
    const flags = u16(o + 8);
    const method = u16(o + 10);
    const crc32 = u32(o + 16);
    let compressedSize = u32(o + 20);
    let uncompressed = u32(o + 24);
    const nameLen = u16(o + 28),
      extraLen = u16(o + 30),
      commentLen = u16(o + 32);
    let localOffset = u32(o + 42);
    need(o + 46, nameLen + extraLen + commentLen, `central directory entry ${i}`);
    const name = new TextDecoder().decode(bytes.subarray(o + 46, o + 46 + nameLen));
    // zip64 extra field: the 8-byte values replace, in order, the 32-bit fields that are 0xffffffff.
    for (let e = o + 46 + nameLen; e + 4 <= o + 46 + nameLen + extraLen;) {
      const id = u16(e),
        len = u16(e + 2);
      if (id === 0x0001) {
        let f = e + 4;
        if (uncompressed === 0xffffffff) ((uncompressed = u64(f)), (f += 8));
        if (compressedSize === 0xffffffff) ((compressedSize = u64(f)), (f += 8));
        if (localOffset === 0xffffffff) localOffset = u64(f);
      }
      e += 4 + len;
    }
    if (flags & 1) throw new Error(`${where}: entry '${name}' is encrypted`);
    need(localOffset, 30, `the local header of '${name}'`);
    if (u32(localOffset) !== SIG_LOCAL) throw new Error(`${where}: entry '${name}': no local header at byte ${localOffset}`);
    const dataOffset = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28);
    need(dataOffset, compressedSize, `the data of '${name}'`);
    entries.set(name, { name, method, compressedSize, size: uncompressed, crc32, dataOffset });
    o += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) as zip stores it. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

async function inflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data.slice()]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The uncompressed bytes of an entry (a view into `bytes` when stored), size and CRC-32 checked. */
export async function readZipEntry(bytes: Uint8Array, entry: ZipEntry, where = 'zip'): Promise<Uint8Array> {
  const raw = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  let data: Uint8Array;
  if (entry.method === 0) data = raw;
  else if (entry.method === 8) {
    try {
      data = await inflateRaw(raw);
    } catch (e) {
      throw new Error(`${where}: entry '${entry.name}': corrupt deflate data (${(e as Error).message})`);
    }
  } else
    throw new Error(
      `${where}: entry '${entry.name}' uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`,
    );
  if (data.byteLength !== entry.size)
    throw new Error(`${where}: entry '${entry.name}' has ${data.byteLength} bytes, its directory says ${entry.size}`);
  const crc = crc32(data);
  if (crc !== entry.crc32)
    throw new Error(
      `${where}: entry '${entry.name}' fails its CRC-32 check (0x${crc.toString(16)} ≠ 0x${entry.crc32.toString(16)}); the file is corrupt`,
    );
  return data;
}
