"""Fashion-MNIST idx files (plain or gzipped) and acon's data order, so both engines see the same
batches: the lookup of src/data/sources.ts, the stratified subset of dataset.ts, the normalisation
(p/255 - 0.286)/0.353, and batchOrder (a mulberry32 Fisher-Yates permutation seeded by
seed*100003 + epoch*7919 + 1, src/data/batches.ts, src/util/random.ts)."""
import gzip
import os
import struct

import numpy as np

STEMS = {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
         "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}
DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
SAMPLE_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "data", "fashion-mnist-sample"))
MEAN, STD = 0.286, 0.353
NUM_CLASSES = 10


def files_in(directory):
    """The four files in `directory` (STEM or STEM.gz, the plain one preferred), or None."""
    found = {}
    for role, stem in STEMS.items():
        for name in (stem, stem + ".gz"):
            if os.path.exists(os.path.join(directory, name)):
                found[role] = os.path.join(directory, name)
                break
        else:
            return None
    return found


def find_data(data=None, env=os.environ):
    """(directory, description): --data DIR ('sample' = the bundled sample), ACON_DATA, Debian's
    dataset-fashion-mnist, the user cache, then the bundled sample."""
    if data == "sample":
        return SAMPLE_DIR, f"the bundled sample in {SAMPLE_DIR}"
    named = [(data, f"--data {data}")] if data else [(env["ACON_DATA"], f"ACON_DATA={env['ACON_DATA']}")] if env.get("ACON_DATA") else []
    for d, what in named:
        if not files_in(d):
            raise FileNotFoundError(f"Fashion-MNIST from {what}: {d} lacks one of " + ", ".join(s + "[.gz]" for s in STEMS.values()))
        return os.path.abspath(d), what
    cache = os.path.join(env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME", os.path.expanduser("~")), ".cache"), "acon", "fashion-mnist")
    for d, what in ((DEBIAN_DIR, f"the Debian package dataset-fashion-mnist ({DEBIAN_DIR})"), (cache, f"the cache {cache}")):
        if files_in(d):
            return d, what
    return SAMPLE_DIR, f"the bundled sample in {SAMPLE_DIR}"


def read_idx(path, ndim):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated: {len(raw)} bytes, shorter than the {header}-byte header")
    (magic,) = struct.unpack(">I", raw[:4])
    if magic != 0x800 + ndim:
        raise ValueError(f"{path}: wrong magic number {magic:#010x}, expected {0x800 + ndim:#010x}")
    dims = struct.unpack(">" + "I" * ndim, raw[4:header])
    size = int(np.prod(dims))
    if len(raw) - header != size:
        raise ValueError(f"{path}: {len(raw) - header} data bytes, the header says {size} ({'x'.join(map(str, dims))})")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def read_split(images_path, labels_path):
    images, labels = read_idx(images_path, 3), read_idx(labels_path, 1)
    if images.shape[1:] != (28, 28):
        raise ValueError(f"{images_path}: images are {images.shape[1]}x{images.shape[2]}, Fashion-MNIST's are 28x28")
    if len(labels) != len(images):
        raise ValueError(f"{labels_path}: {len(labels)} labels for {len(images)} images in {images_path}")
    if labels.size and labels.max() >= NUM_CLASSES:
        raise ValueError(f"{labels_path}: label {labels.max()} out of range 0..{NUM_CLASSES - 1}")
    return images, labels


def stratified_take(images, labels, per_class):
    """The first `per_class` items of each class, in their original order."""
    taken = [0] * NUM_CLASSES
    keep = []
    for i, l in enumerate(labels.tolist()):
        if taken[l] < per_class:
            taken[l] += 1
            keep.append(i)
    return images[keep], labels[keep]


def normalize(images):
    """uint8 [N,28,28] -> float32 [N,1,28,28], computed as src/data/dataset.ts normalize does
    (float64, rounded once)."""
    return (images.astype(np.float64) * (1 / (255 * STD)) - MEAN / STD).astype(np.float32).reshape(-1, 1, 28, 28)


def load(data=None, per_class_train=None, per_class_test=None):
    directory, description = find_data(data)
    files = files_in(directory)
    train = read_split(files["train_images"], files["train_labels"])
    test = read_split(files["test_images"], files["test_labels"])
    if per_class_train is not None:
        train = stratified_take(*train, per_class_train)
    if per_class_test is not None:
        test = stratified_take(*test, per_class_test)
    return {"train": train, "test": test, "description": description, "dir": directory}


def mulberry32(seed):
    a = seed & 0xFFFFFFFF

    def imul(x, y):
        return (x * y) & 0xFFFFFFFF

    def random():
        nonlocal a
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = a
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return random


def permutation(n, seed):
    random = mulberry32(seed)
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = int(random() * (i + 1))
        order[i], order[j] = order[j], order[i]
    return np.array(order, dtype=np.int64)


def batch_order(count, seed, epoch):
    """src/data/batches.ts batchOrder: the order of an epoch's items for (seed, epoch)."""
    return permutation(count, (seed * 100_003 + epoch * 7_919 + 1) & 0xFFFFFFFF)


def shard_range(n, parts, k):
    """The k-th of `parts` contiguous ranges splitting [0, n): floor(n/W) each, the first n mod W one more."""
    base, extra = divmod(n, parts)
    start = k * base + min(k, extra)
    return start, start + base + (1 if k < extra else 0)
