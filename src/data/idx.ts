/**
 * The idx file format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): a big-endian
 * header (magic number, then one uint32 per dimension) followed by the data, here unsigned bytes.
 * Browser-safe: it parses bytes; gzipped files are decompressed first (`idx_file.ts` in Node, a
 * `DecompressionStream` in a page). Every error names the file.
 */

/** idx magic numbers: 0x0000 0x08 (unsigned byte) then the number of dimensions. */
export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

/** Images `[count, rows, cols]`, row-major uint8 pixels. */
export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
}

/** Labels `[count]`, each below the number of classes. */
export interface IdxLabels {
  count: number;
  labels: Uint8Array;
}

/** A bad idx file; the message starts with the file's name. */
export class IdxFormatError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'IdxFormatError';
  }
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
const KIND: Record<number, string> = { [IDX_IMAGES_MAGIC]: 'an idx3 images file', [IDX_LABELS_MAGIC]: 'an idx1 labels file' };

/** Whether the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The bytes as a plain Uint8Array view (not a Buffer); gzipped bytes are an error naming the file. */
function plainIdx(bytes: Uint8Array, file: string): Uint8Array {
  if (isGzip(bytes)) throw new IdxFormatError(file, 'is gzipped: decompress it before parsing');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Checks the magic number and reads the `ndim` dimensions after it. */
function readHeader(data: Uint8Array, file: string, magic: number, ndim: number): number[] {
  const headerBytes = 4 * (1 + ndim);
  if (data.length < headerBytes) {
    throw new IdxFormatError(file, `truncated: ${data.length} bytes, shorter than the ${headerBytes}-byte header of ${KIND[magic]}`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const found = view.getUint32(0);
  if (found !== magic) {
    const what = KIND[found] ? `this is ${KIND[found]}` : 'not an idx file of unsigned bytes';
    throw new IdxFormatError(file, `wrong magic number ${hex(found)}, expected ${hex(magic)} for ${KIND[magic]} (${what})`);
  }
  return Array.from({ length: ndim }, (_, i) => view.getUint32(4 * (i + 1)));
}

/** Checks that the data after the header is exactly `dims`' product of bytes. */
function checkLength(data: Uint8Array, file: string, dims: number[], headerBytes: number, what: string): void {
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = data.length - headerBytes;
  if (actual === expected) return;
  const problem = actual < expected ? 'truncated' : 'too long';
  throw new IdxFormatError(file, `${problem}: header says ${dims.join('×')} = ${expected} bytes of ${what}, file has ${actual}`);
}

/** Parses an idx3 images file. */
export function parseIdxImages(bytes: Uint8Array, file: string): IdxImages {
  const data = plainIdx(bytes, file);
  const [count, rows, cols] = readHeader(data, file, IDX_IMAGES_MAGIC, 3);
  if (rows === 0 || cols === 0) throw new IdxFormatError(file, `bad image size ${rows}×${cols}`);
  checkLength(data, file, [count, rows, cols], 16, 'pixels');
  return { count, rows, cols, pixels: data.subarray(16) };
}

/** Parses an idx1 labels file; every label must be below `numClasses`. */
export function parseIdxLabels(bytes: Uint8Array, file: string, numClasses = 10): IdxLabels {
  const data = plainIdx(bytes, file);
  const [count] = readHeader(data, file, IDX_LABELS_MAGIC, 1);
  checkLength(data, file, [count], 8, 'labels');
  const labels = data.subarray(8);
  const bad = labels.findIndex((l) => l >= numClasses);
  if (bad >= 0) throw new IdxFormatError(file, `label ${labels[bad]} at index ${bad} is out of range 0..${numClasses - 1}`);
  return { count, labels };
}

/** Encodes an idx3 images file (not gzipped). */
export function encodeIdxImages(images: IdxImages): Uint8Array {
  const { count, rows, cols, pixels } = images;
  if (pixels.length !== count * rows * cols) throw new Error(`encodeIdxImages: ${pixels.length} pixels for ${count}×${rows}×${cols} images`);
  return encode(IDX_IMAGES_MAGIC, [count, rows, cols], pixels);
}

/** Encodes an idx1 labels file (not gzipped). */
export function encodeIdxLabels(labels: Uint8Array): Uint8Array {
  return encode(IDX_LABELS_MAGIC, [labels.length], labels);
}

function encode(magic: number, dims: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 * (1 + dims.length) + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic);
  dims.forEach((d, i) => view.setUint32(4 * (i + 1), d));
  out.set(body, 4 * (1 + dims.length));
  return out;
}
