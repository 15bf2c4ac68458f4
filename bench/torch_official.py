"""The official forward passes of nmaac/acon's AconC and MetaAconC, copied verbatim (p1*x - p2*x is
evaluated twice, as the official eager code does), for the benchmarks' PyTorch twins:
`official(module)` installs them on python/acon_torch's AconC and channel-wise MetaAconC modules
(same parameters and submodules as the official ones) inside `module`, so the benchmarks time the
official chain of eager ops rather than acon_torch's slightly shorter one.
"""
import os
import sys
import types

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import torch  # noqa: E402

from acon_torch.acon import AconC, MetaAconC  # noqa: E402


def acon_c_forward(self, x):
    return (self.p1 * x - self.p2 * x) * torch.sigmoid(self.beta * (self.p1 * x - self.p2 * x)) + self.p2 * x


def meta_acon_c_forward(self, x):
    beta = torch.sigmoid(
        self.bn2(self.fc2(self.bn1(self.fc1(x.mean(dim=2, keepdims=True).mean(dim=3, keepdims=True)))))
    )
    return (self.p1 * x - self.p2 * x) * torch.sigmoid(beta * (self.p1 * x - self.p2 * x)) + self.p2 * x


def official(module):
    """`module` with every AconC and batch-normalised channel-wise MetaAconC in it on the official forward."""
    for m in module.modules():
        if type(m) is AconC:
            m.forward = types.MethodType(acon_c_forward, m)
        elif type(m) is MetaAconC and m.granularity == "channel" and m.normalization == "batch":
            m.forward = types.MethodType(meta_acon_c_forward, m)
    return module
