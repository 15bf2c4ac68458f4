"""safetensors and the idx data with acon's order."""
import gzip
import os
import struct
import tempfile
import unittest

import numpy as np
import torch

from acon_torch import data
from acon_torch.safetensors import read_safetensors, write_safetensors

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "interop")


class SafetensorsTest(unittest.TestCase):
    def test_round_trip_keeps_dtype_shape_values(self):
        tensors = {"a.weight": torch.randn(3, 2, 1, 1), "b": torch.arange(7, dtype=torch.int64), "c": torch.tensor([1.5], dtype=torch.float64)}
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "m.safetensors")
            write_safetensors(p, tensors, {"format": "pt"})
            raw = open(p, "rb").read()
            (n,) = struct.unpack("<Q", raw[:8])
            self.assertEqual((8 + n) % 8, 0)
            back = read_safetensors(p)
        self.assertEqual(sorted(back), sorted(tensors))
        for k, t in tensors.items():
            self.assertEqual(back[k].dtype, t.dtype)
            self.assertTrue(torch.equal(back[k], t), k)

    def test_reads_the_shared_pytorch_file(self):
        sd = read_safetensors(os.path.join(SHARED, "tiny_acon_net_seed7.safetensors"))
        self.assertEqual(list(sd["act2.fc1.weight"].shape), [4, 16, 1, 1])
        self.assertEqual(sd["act1.p1"].dtype, torch.float32)

    def test_truncated_file_names_the_tensor(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "m.safetensors")
            write_safetensors(p, {"w": torch.zeros(4)})
            with open(p, "r+b") as f:
                f.truncate(os.path.getsize(p) - 4)
            with self.assertRaisesRegex(ValueError, "tensor 'w'"):
                read_safetensors(p)


class DataTest(unittest.TestCase):
    def test_batch_order_equals_acons(self):
        # src/data/batches.ts batchOrder(20, {seed: 3, epoch: 2}) and (10, {seed: 1, epoch: -1}).
        self.assertEqual(data.batch_order(20, 3, 2).tolist(), [11, 19, 18, 14, 7, 8, 4, 12, 10, 13, 0, 15, 9, 1, 6, 16, 3, 17, 2, 5])
        self.assertEqual(data.batch_order(10, 1, -1).tolist(), [5, 6, 1, 9, 2, 0, 8, 3, 4, 7])

    def test_shards_as_acons_sharding(self):
        self.assertEqual([data.shard_range(11, 3, k) for k in range(3)], [(0, 4), (4, 8), (8, 11)])

    def test_sample_loads_stratified_and_normalised(self):
        d = data.load("sample", 3, 2)
        images, labels = d["train"]
        self.assertEqual(images.shape, (30, 28, 28))
        self.assertEqual(np.bincount(labels).tolist(), [3] * 10)
        x = data.normalize(np.array([[[0, 255] + [0] * 782]], dtype=np.uint8).reshape(1, 28, 28))
        self.assertAlmostEqual(float(x[0, 0, 0, 0]), -0.286 / 0.353, places=6)
        self.assertAlmostEqual(float(x[0, 0, 0, 1]), (1 - 0.286) / 0.353, places=6)

    def test_bad_magic_names_the_file(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "train-labels-idx1-ubyte.gz")
            with open(p, "wb") as f:
                f.write(gzip.compress(struct.pack(">II", 0x803, 1) + b"\x00"))
            with self.assertRaisesRegex(ValueError, "train-labels-idx1-ubyte.gz: wrong magic"):
                data.read_idx(p, 1)


if __name__ == "__main__":
    unittest.main()
