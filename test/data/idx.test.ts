import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdxImages, encodeIdxLabels, IdxFormatError, parseIdxImages, parseIdxLabels } from '../../src/data/idx.js';
import { maybeGunzip, readIdxPair } from '../../src/data/idx_file.js';
import { tempDir, tinyImages } from './fixtures.js';

const NAME = 'train-images-idx3-ubyte.gz';

function imagesFile(count: number, rows = 28, cols = 28): Uint8Array {
  return encodeIdxImages({ count, rows, cols, pixels: tinyImages(count, rows, cols).pixels });
}

/** Asserts that `fn` throws an IdxFormatError whose message is exactly `message`. */
function throwsIdx(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof IdxFormatError, `expected IdxFormatError, got ${e}`);
    assert.equal(e.message, message);
    return true;
  });
}

describe('idx images', () => {
  it('parses a plain file: header, dimensions, pixels', () => {
    const { pixels } = tinyImages(3, 4, 5);
    const parsed = parseIdxImages(encodeIdxImages({ count: 3, rows: 4, cols: 5, pixels }), NAME);
    assert.deepEqual([parsed.count, parsed.rows, parsed.cols], [3, 4, 5]);
    assert.deepEqual(parsed.pixels, pixels);
  });

  it('parses the same file gzipped (detected by its magic bytes, whatever the name)', () => {
    const plain = imagesFile(7);
    const parsed = parseIdxImages(maybeGunzip(gzipSync(plain), 'no-extension'), 'no-extension');
    assert.equal(parsed.count, 7);
    assert.deepEqual(parsed.pixels, plain.subarray(16));
  });

  it('rejects a truncated file, saying how many bytes the header promised', () => {
    const bytes = imagesFile(2).subarray(0, 16 + 1000);
    throwsIdx(() => parseIdxImages(bytes, NAME), `${NAME}: truncated: header says 2×28×28 = 1568 bytes of pixels, file has 1000`);
    throwsIdx(() => parseIdxImages(maybeGunzip(gzipSync(bytes), NAME), NAME), `${NAME}: truncated: header says 2×28×28 = 1568 bytes of pixels, file has 1000`);
  });

  it('rejects a file shorter than its header', () => {
    throwsIdx(() => parseIdxImages(imagesFile(1).subarray(0, 10), NAME), `${NAME}: truncated: 10 bytes, shorter than the 16-byte header of an idx3 images file`);
  });

  it('rejects an over-long file', () => {
    const bytes = new Uint8Array([...imagesFile(1), 0, 0, 0]);
    throwsIdx(() => parseIdxImages(bytes, NAME), `${NAME}: too long: header says 1×28×28 = 784 bytes of pixels, file has 787`);
  });

  it('rejects a wrong magic number, naming what the file is', () => {
    throwsIdx(() => parseIdxImages(encodeIdxLabels(new Uint8Array(16)), NAME),
      `${NAME}: wrong magic number 0x00000801, expected 0x00000803 for an idx3 images file (this is an idx1 labels file)`);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0]);
    throwsIdx(() => parseIdxImages(png, NAME), `${NAME}: wrong magic number 0x89504e47, expected 0x00000803 for an idx3 images file (not an idx file of unsigned bytes)`);
  });

  it('rejects zero-sized images and corrupt gzip data', () => {
    throwsIdx(() => parseIdxImages(imagesFile(0, 0, 28), NAME), `${NAME}: bad image size 0×28`);
    const gz = gzipSync(imagesFile(3));
    assert.throws(() => maybeGunzip(gz.subarray(0, gz.length - 100), NAME), /^IdxFormatError: train-images-idx3-ubyte\.gz: corrupt gzip data \(.+\)$/);
  });

  it('the browser-safe parsers refuse gzipped bytes, naming the file', () => {
    throwsIdx(() => parseIdxImages(gzipSync(imagesFile(1)), NAME), `${NAME}: is gzipped: decompress it before parsing`);
    throwsIdx(() => parseIdxLabels(gzipSync(encodeIdxLabels(new Uint8Array(3))), 'l.gz'), 'l.gz: is gzipped: decompress it before parsing');
  });
});

describe('idx labels', () => {
  it('parses plain and gzipped labels', () => {
    const labels = Uint8Array.from([9, 0, 3, 3, 7]);
    for (const bytes of [encodeIdxLabels(labels), gzipSync(encodeIdxLabels(labels))]) {
      const parsed = parseIdxLabels(maybeGunzip(bytes, 'labels'), 'labels');
      assert.equal(parsed.count, 5);
      assert.deepEqual(parsed.labels, labels);
    }
  });

  it('rejects a label out of range; the number of classes is configurable', () => {
    const bytes = encodeIdxLabels(Uint8Array.from([1, 2, 10, 4]));
    throwsIdx(() => parseIdxLabels(bytes, 'labels.idx'), 'labels.idx: label 10 at index 2 is out of range 0..9');
    assert.equal(parseIdxLabels(bytes, 'labels.idx', 11).count, 4);
    throwsIdx(() => parseIdxLabels(encodeIdxLabels(Uint8Array.from([0, 1, 2])), 'labels.idx', 2), 'labels.idx: label 2 at index 2 is out of range 0..1');
  });

  it('rejects truncated labels and an images file given as labels', () => {
    throwsIdx(() => parseIdxLabels(encodeIdxLabels(new Uint8Array(10)).subarray(0, 15), 'l'), 'l: truncated: header says 10 = 10 bytes of labels, file has 7');
    throwsIdx(() => parseIdxLabels(imagesFile(1), 'l'), 'l: wrong magic number 0x00000803, expected 0x00000801 for an idx1 labels file (this is an idx3 images file)');
  });
});

describe('idx image/label pairs', () => {
  const tmp = tempDir();
  after(tmp.cleanup);

  it('reads a pair from disk (one plain, one gzipped)', () => {
    const imagesPath = join(tmp.dir, 'a-images'), labelsPath = join(tmp.dir, 'a-labels.gz');
    writeFileSync(imagesPath, imagesFile(4));
    writeFileSync(labelsPath, gzipSync(encodeIdxLabels(Uint8Array.from([0, 1, 2, 3]))));
    const { images, labels } = readIdxPair(imagesPath, labelsPath);
    assert.equal(images.count, 4);
    assert.deepEqual(labels.labels, Uint8Array.from([0, 1, 2, 3]));
  });

  it('rejects a pair whose counts differ, naming both files', () => {
    const imagesPath = join(tmp.dir, 'b-images'), labelsPath = join(tmp.dir, 'b-labels');
    writeFileSync(imagesPath, imagesFile(4));
    writeFileSync(labelsPath, encodeIdxLabels(Uint8Array.from([0, 1, 2])));
    throwsIdx(() => readIdxPair(imagesPath, labelsPath), `${imagesPath}: has 4 images but ${labelsPath} has 3 labels`);
  });
});
