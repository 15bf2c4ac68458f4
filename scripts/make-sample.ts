/**
 * Makes the bundled sample data/fashion-mnist-sample/: a stratified random sample of Fashion-MNIST,
 * 600 train and 100 test images per class, in their original order, as gzipped idx files.
 * Deterministic: the same seed and source give the same images.
 *
 *   apt-get install dataset-fashion-mnist
 *   node --import tsx scripts/make-sample.ts [SOURCE_DIR] [OUT_DIR]
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { classCounts, IMAGE_SIZE, NUM_CLASSES, select, type Split } from '../src/data/dataset.js';
import { FILE_STEMS, filesIn } from '../src/data/files.js';
import { encodeIdxImages, encodeIdxLabels } from '../src/data/idx.js';
import { readIdxPair } from '../src/data/idx_file.js';
import { permutation } from '../src/util/random.js';
import { DEBIAN_DIR, SAMPLE_DIR } from '../src/data/sources.js';
import { writeFileAtomic } from '../src/util/atomic_file.js';

const SEED = 20_210_601;
const PER_CLASS = { train: 600, test: 100 };

/** `perClass` items of each class drawn at random (seeded), returned in their original order. */
function stratifiedSample(split: Split, perClass: number, seed: number): Split {
  const taken = new Array<number>(NUM_CLASSES).fill(0);
  const keep: number[] = [];
  for (const i of permutation(split.count, seed)) {
    if (taken[split.labels[i]] < perClass) {
      taken[split.labels[i]]++;
      keep.push(i);
    }
  }
  const short = taken.findIndex((n) => n < perClass);
  if (short >= 0) throw new Error(`class ${short} has only ${taken[short]} items, fewer than ${perClass}`);
  return select(
    split,
    keep.sort((a, b) => a - b),
  );
}

function main(): void {
  const [sourceDir = DEBIAN_DIR, outDir = SAMPLE_DIR] = process.argv.slice(2);
  const { files, missing } = filesIn(sourceDir);
  if (!files) throw new Error(`${sourceDir} lacks ${missing.join(', ')} (apt-get install dataset-fashion-mnist)`);
  const splits = [
    {
      name: 'train',
      images: files.trainImages,
      labels: files.trainLabels,
      out: [FILE_STEMS.trainImages, FILE_STEMS.trainLabels],
      perClass: PER_CLASS.train,
      seed: SEED,
    },
    {
      name: 'test',
      images: files.testImages,
      labels: files.testLabels,
      out: [FILE_STEMS.testImages, FILE_STEMS.testLabels],
      perClass: PER_CLASS.test,
      seed: SEED + 1,
    },
  ];
  for (const s of splits) {
    const { images, labels } = readIdxPair(s.images, s.labels, NUM_CLASSES);
    const sample = stratifiedSample({ images: images.pixels, labels: labels.labels, count: images.count }, s.perClass, s.seed);
    const outputs: [string, Uint8Array][] = [
      [s.out[0], encodeIdxImages({ count: sample.count, rows: IMAGE_SIZE, cols: IMAGE_SIZE, pixels: sample.images })],
      [s.out[1], encodeIdxLabels(sample.labels)],
    ];
    console.log(`${s.name}: ${sample.count} of ${images.count} images, per class ${classCounts(sample.labels).join(' ')}`);
    for (const [stem, contents] of outputs) {
      // gzip's output may vary with the zlib version; the contents' hash does not.
      const gz = gzipSync(contents, { level: 9 });
      writeFileAtomic(join(outDir, `${stem}.gz`), gz);
      console.log(`  ${stem}.gz  ${gz.length} bytes, contents sha256 ${createHash('sha256').update(contents).digest('hex')}`);
    }
  }
}

main();
