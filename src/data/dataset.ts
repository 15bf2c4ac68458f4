/**
 * Fashion-MNIST in memory: 28×28 grey images as uint8 (normalised on the way to a tensor, see
 * `normalize`) with labels 0..9, from whichever source `findFashionMnist` picks.
 */
import { IdxFormatError } from './idx.js';
import { readIdxPair } from './idx_file.js';
import { findFashionMnist, type DataSource, type FindOptions } from './sources.js';

export const IMAGE_SIZE = 28;
export const NUM_CLASSES = 10;
export const CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;
/** Mean and standard deviation of the training pixels scaled to [0, 1]. */
export const FASHION_MNIST_MEAN = 0.286;
export const FASHION_MNIST_STD = 0.353;

/** One split: `count` images of `IMAGE_SIZE`² uint8 pixels, row-major, and their labels. */
export interface Split {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface FashionMnist {
  train: Split;
  test: Split;
  source: DataSource;
}

export interface LoadOptions extends FindOptions {
  /** Keep only the first k images of each class (all of a class if it has fewer), e.g. for CI. */
  perClass?: number | { train?: number; test?: number };
}

/** Finds, reads and checks Fashion-MNIST; `perClass` takes a stratified subset. */
export async function loadFashionMnist(opts: LoadOptions = {}): Promise<FashionMnist> {
  const source = await findFashionMnist(opts);
  const { files } = source;
  const limit = typeof opts.perClass === 'number' ? { train: opts.perClass, test: opts.perClass } : (opts.perClass ?? {});
  const train = readSplit(files.trainImages, files.trainLabels);
  const test = readSplit(files.testImages, files.testLabels);
  return {
    train: limit.train === undefined ? train : stratifiedTake(train, limit.train),
    test: limit.test === undefined ? test : stratifiedTake(test, limit.test),
    source,
  };
}

function readSplit(imagesFile: string, labelsFile: string): Split {
  const { images, labels } = readIdxPair(imagesFile, labelsFile, NUM_CLASSES);
  if (images.rows !== IMAGE_SIZE || images.cols !== IMAGE_SIZE) {
    throw new IdxFormatError(imagesFile, `images are ${images.rows}×${images.cols}, Fashion-MNIST's are ${IMAGE_SIZE}×${IMAGE_SIZE}`);
  }
  return { images: images.pixels, labels: labels.labels, count: images.count };
}

/** The first `perClass` items of each class, in their original order. */
export function stratifiedTake(split: Split, perClass: number): Split {
  if (!Number.isInteger(perClass) || perClass < 0) throw new RangeError(`perClass must be a non-negative integer, got ${perClass}`);
  const taken = new Array<number>(NUM_CLASSES).fill(0);
  const keep: number[] = [];
  for (let i = 0; i < split.count; i++) {
    if (taken[split.labels[i]] < perClass) {
      taken[split.labels[i]]++;
      keep.push(i);
    }
  }
  return select(split, keep);
}

/** The items at `indices`, copied, in that order. */
export function select(split: Split, indices: ArrayLike<number>): Split {
  const px = IMAGE_SIZE * IMAGE_SIZE;
  const images = new Uint8Array(indices.length * px);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    images.set(split.images.subarray(i * px, (i + 1) * px), k * px);
    labels[k] = split.labels[i];
  }
  return { images, labels, count: indices.length };
}

/** How many items of each class 0..NUM_CLASSES−1. */
export function classCounts(labels: Uint8Array): number[] {
  const counts = new Array<number>(NUM_CLASSES).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

/** Pixels p ∈ 0..255 → (p/255 − mean)/std with Fashion-MNIST's mean and std, into `out`. */
export function normalize(pixels: Uint8Array, out = new Float32Array(pixels.length)): Float32Array {
  const scale = 1 / (255 * FASHION_MNIST_STD), shift = FASHION_MNIST_MEAN / FASHION_MNIST_STD;
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] * scale - shift;
  return out;
}

/** The split with its images normalised, shaped for a trainer: `imageShape` [28, 28, 1] (NHWC). */
export function normalizedSplit(split: Split): { images: Float32Array; labels: Uint8Array; count: number; imageShape: [number, number, number] } {
  return { images: normalize(split.images), labels: split.labels, count: split.count, imageShape: [IMAGE_SIZE, IMAGE_SIZE, 1] };
}
