/**
 * The data layer of `acon compare` (Node only): Fashion-MNIST found, downloaded or taken from the
 * bundled sample, read from idx files, and served as seeded mini-batches of tensors.
 */
export { loadFashionMnist, stratifiedTake, select, classCounts, normalize, normalizedSplit, IMAGE_SIZE, NUM_CLASSES, CLASS_NAMES, FASHION_MNIST_MEAN, FASHION_MNIST_STD } from './dataset.js';
export type { Split, FashionMnist, LoadOptions } from './dataset.js';
export { batches, batchOrder } from './batches.js';
export type { Batch, BatchOptions } from './batches.js';
export { findFashionMnist, defaultCacheDir, DEBIAN_DIR, SAMPLE_DIR } from './sources.js';
export type { DataSource, FindOptions, SourceKind } from './sources.js';
export { downloadFashionMnist, FASHION_MNIST_MIRRORS, FASHION_MNIST_CHECKSUMS } from './download.js';
export type { Checksum, DownloadOptions } from './download.js';
export { FILE_STEMS, FILE_ROLES, filesIn } from './files.js';
export type { DataFiles, FileRole } from './files.js';
export { parseIdxImages, parseIdxLabels, encodeIdxImages, encodeIdxLabels, isGzip, IdxFormatError, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC } from './idx.js';
export { readIdxPair, maybeGunzip } from './idx_file.js';
export type { IdxImages, IdxLabels } from './idx.js';
