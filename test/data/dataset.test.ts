import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { classCounts, FASHION_MNIST_MEAN, FASHION_MNIST_STD, loadFashionMnist, normalize, normalizedSplit, stratifiedTake, type Split } from '../../src/data/dataset.js';
import { filesIn } from '../../src/data/files.js';
import { encodeIdxImages } from '../../src/data/idx.js';
import { SAMPLE_DIR } from '../../src/data/sources.js';
import { tempDir, tinyImages, writeTinyDataset } from './fixtures.js';

describe('the bundled sample', () => {
  it('loads by default when no other source exists: 600 train / 100 test images per class', async () => {
    const tmp = tempDir();
    try {
      const data = await loadFashionMnist({ env: { XDG_CACHE_HOME: tmp.dir }, debianDir: join(tmp.dir, 'none') });
      assert.equal(data.source.kind, 'sample');
      assert.deepEqual([data.train.count, data.test.count], [6000, 1000]);
      assert.equal(data.train.images.length, 6000 * 28 * 28);
      assert.deepEqual(classCounts(data.train.labels), new Array(10).fill(600));
      assert.deepEqual(classCounts(data.test.labels), new Array(10).fill(100));
    } finally {
      tmp.cleanup();
    }
  });

  it('is a few MB of gzipped files', () => {
    const { files } = filesIn(SAMPLE_DIR);
    assert.ok(files, 'sample files present');
    const bytes = Object.values(files).reduce((n, f) => n + statSync(f).size, 0);
    assert.ok(bytes > 2e6 && bytes < 5e6, `${bytes} bytes`);
    assert.ok(Object.values(files).every((f) => f.endsWith('.gz')));
  });

  it('perClass takes the first k of each class, for tiny runs', async () => {
    const full = await loadFashionMnist({ source: 'sample' });
    const data = await loadFashionMnist({ source: 'sample', perClass: { train: 5, test: 2 } });
    assert.deepEqual(classCounts(data.train.labels), new Array(10).fill(5));
    assert.deepEqual(classCounts(data.test.labels), new Array(10).fill(2));
    const firstBag = full.train.labels.indexOf(8);
    const k = data.train.labels.indexOf(8);
    assert.deepEqual(data.train.images.subarray(k * 784, (k + 1) * 784), full.train.images.subarray(firstBag * 784, (firstBag + 1) * 784));
    assert.equal((await loadFashionMnist({ source: 'sample', perClass: 3 })).test.count, 30);
  });
});

describe('loading files', () => {
  const tmp = tempDir();
  after(tmp.cleanup);

  it('loads a plain and a gzipped copy of the same data identically', async () => {
    const plain = await loadFashionMnist({ dataDir: writeTinyDataset(join(tmp.dir, 'plain')) });
    const gz = await loadFashionMnist({ dataDir: writeTinyDataset(join(tmp.dir, 'gz'), 30, 20, true) });
    assert.equal(plain.source.kind, 'flag');
    assert.deepEqual([gz.train.count, gz.test.count], [30, 20]);
    assert.deepEqual(gz.train, plain.train);
    assert.deepEqual(gz.test, plain.test);
  });

  it('rejects images that are not 28×28, naming the file', async () => {
    const dir = writeTinyDataset(join(tmp.dir, 'small'));
    const path = join(dir, 'train-images-idx3-ubyte');
    writeFileSync(path, encodeIdxImages({ count: 30, rows: 14, cols: 14, pixels: tinyImages(30, 14, 14).pixels }));
    await assert.rejects(loadFashionMnist({ dataDir: dir }), { message: `${path}: images are 14×14, Fashion-MNIST's are 28×28` });
  });

  it('rejects a truncated gzipped file in a data directory', async () => {
    const dir = writeTinyDataset(join(tmp.dir, 'truncated'), 30, 20, true);
    const path = join(dir, 't10k-images-idx3-ubyte.gz');
    writeFileSync(path, gzipSync(encodeIdxImages({ count: 20, rows: 28, cols: 28, pixels: tinyImages(20).pixels }).subarray(0, 16 + 1024)));
    await assert.rejects(loadFashionMnist({ dataDir: dir }), { message: `${path}: truncated: header says 20×28×28 = 15680 bytes of pixels, file has 1024` });
  });
});

describe('split helpers', () => {
  const split: Split = { images: tinyImages(25).pixels, labels: Uint8Array.from([3, 3, 3, 1, 1, 0, ...new Array(19).fill(9)]), count: 25 };

  it('stratifiedTake keeps the original order and takes all of a short class', () => {
    const taken = stratifiedTake(split, 2);
    assert.deepEqual([...taken.labels], [3, 3, 1, 1, 0, 9, 9]);
    assert.deepEqual(taken.images.subarray(784 * 4, 784 * 5), split.images.subarray(784 * 5, 784 * 6));
    assert.throws(() => stratifiedTake(split, -1), /perClass must be a non-negative integer, got -1/);
  });

  it('normalize maps 0..255 with the data set mean and std', () => {
    const out = normalize(Uint8Array.from([0, 255, 73]));
    assert.ok(Math.abs(out[0] - -FASHION_MNIST_MEAN / FASHION_MNIST_STD) < 1e-6);
    assert.ok(Math.abs(out[1] - (1 - FASHION_MNIST_MEAN) / FASHION_MNIST_STD) < 1e-6);
    assert.ok(Math.abs(out[2] - (73 / 255 - FASHION_MNIST_MEAN) / FASHION_MNIST_STD) < 1e-6);
    const ns = normalizedSplit(split);
    assert.deepEqual(ns.imageShape, [28, 28, 1]);
    assert.equal(ns.images.length, 25 * 784);
    assert.equal(ns.labels, split.labels);
  });
});
