/**
 * The bundled Fashion-MNIST sample (data/fashion-mnist-sample: 6,000 training and 1,000 test
 * images), copied into the build by Vite and parsed with the repo's idx reader; gzip is undone by
 * the browser's DecompressionStream. Nothing is downloaded from outside the page.
 */
import trainImagesUrl from '../data/fashion-mnist-sample/train-images-idx3-ubyte.gz?url';
import trainLabelsUrl from '../data/fashion-mnist-sample/train-labels-idx1-ubyte.gz?url';
import testImagesUrl from '../data/fashion-mnist-sample/t10k-images-idx3-ubyte.gz?url';
import testLabelsUrl from '../data/fashion-mnist-sample/t10k-labels-idx1-ubyte.gz?url';
import { parseIdxImages, parseIdxLabels } from '../src/data/idx.js';

export interface SampleSplit {
  /** `[count, 28, 28]` uint8 pixels. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

async function fetchBytes(url: string, name: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${name}: HTTP ${res.status} for ${url}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  // A server may already have undone the gzip (Content-Encoding); only gunzip what still is.
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function split(imagesUrl: string, labelsUrl: string, names: [string, string]): Promise<SampleSplit> {
  const [ib, lb] = await Promise.all([fetchBytes(imagesUrl, names[0]), fetchBytes(labelsUrl, names[1])]);
  const images = parseIdxImages(ib, names[0]);
  const labels = parseIdxLabels(lb, names[1]);
  if (images.count !== labels.count) throw new Error(`${names[0]} has ${images.count} images but ${names[1]} has ${labels.count} labels`);
  return { images: images.pixels, labels: labels.labels, count: images.count };
}

let loaded: Promise<{ train: SampleSplit; test: SampleSplit }> | undefined;

export function loadSample(): Promise<{ train: SampleSplit; test: SampleSplit }> {
  loaded ??= Promise.all([
    split(trainImagesUrl, trainLabelsUrl, ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']),
    split(testImagesUrl, testLabelsUrl, ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']),
  ]).then(([train, test]) => ({ train, test }));
  return loaded;
}
