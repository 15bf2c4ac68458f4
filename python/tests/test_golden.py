"""The twin's ACON modules against the golden vectors of ../shared/golden/golden.json (computed by
the official nmaac/acon modules in PyTorch 1.13.1): outputs, every gradient, BN buffers."""
import json
import os
import unittest

import torch

from acon_torch.acon import AconA, AconB, AconC, MetaAconC

GOLDEN = os.environ.get("ACON_GOLDEN", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "golden", "golden.json"))


def tensor(t, dtype):
    return torch.tensor(t["data"], dtype=dtype).reshape(t["shape"])


def build(case, dtype):
    width = case["init_args"]["width"]
    if case["module"] == "MetaAconC":
        return MetaAconC(width, r=case["init_args"]["r"]).to(dtype)
    return {"AconC": AconC, "AconA": AconA, "AconB": AconB}[case["module"]](width).to(dtype)


def close(test, got, want, rtol, what):
    want = want.to(got.dtype)
    atol = rtol * max(1.0, want.abs().max().item())
    err = (got - want).abs().max().item() if want.numel() else 0.0
    test.assertTrue(torch.allclose(got, want, rtol=rtol, atol=atol), f"{what}: max |diff| {err:.3g} (rtol {rtol}, atol {atol:.3g})")


class GoldenTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(GOLDEN) as f:
            cls.cases = json.load(f)["cases"]

    def check(self, dtype, rtol):
        for case in self.cases:
            if dtype == torch.float64 and case["dtype"] != "float64":
                continue
            with self.subTest(case=case["name"], dtype=str(dtype)):
                m = build(case, dtype)
                state = {k: tensor(v, dtype) for k, v in case["params"].items()}
                for k, v in case.get("buffers", {}).items():
                    state[k] = torch.tensor(v, dtype=torch.int64) if k.endswith("num_batches_tracked") else tensor(v, dtype)
                missing, unexpected = m.load_state_dict(state, strict=case["module"] != "MetaAconC")
                self.assertEqual(unexpected, [])
                m.train(case["mode"] == "train")
                x = tensor(case["x"], dtype).requires_grad_(True)
                y = m(x)
                where = f"{case['name']} ({dtype})"
                close(self, y.detach(), tensor(case["y"], dtype), rtol, f"{where} y")
                (y * tensor(case["g"], dtype)).sum().backward()
                close(self, x.grad, tensor(case["grads"]["x"], dtype), rtol, f"{where} dL/dx")
                params = dict(m.named_parameters())
                for k in case["params"]:
                    close(self, params[k].grad, tensor(case["grads"][k], dtype), rtol, f"{where} dL/d{k}")
                buffers = dict(m.named_buffers())
                for k, v in case.get("buffers_after", {}).items():
                    if k.endswith("num_batches_tracked"):
                        self.assertEqual(buffers[k].item(), v, f"{where} {k}")
                    else:
                        close(self, buffers[k], tensor(v, dtype), rtol, f"{where} {k} after the forward")

    def test_float64_matches_to_1e_10(self):
        self.check(torch.float64, 1e-10)

    def test_float32_matches_to_1e_5(self):
        self.check(torch.float32, 2e-5)

    def test_every_module_kind_is_covered(self):
        self.assertEqual({c["module"] for c in self.cases}, {"AconC", "AconA", "AconB", "MetaAconC"})
        self.assertTrue(any("buffers_after" in c for c in self.cases))


if __name__ == "__main__":
    unittest.main()
