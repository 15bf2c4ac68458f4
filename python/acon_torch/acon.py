"""ACON activations (Ma et al., "Activate or Not", CVPR 2021, §3-4), NCHW, as in nmaac/acon.

ACON-C: d = p1*x - p2*x, f(x) = d * sigmoid(beta * d) + p2*x (eq. 5); ACON-A (Swish with a
learnable beta) is p1 = 1, p2 = 0; ACON-B (smooth PReLU) is p1 = 1, p2 = p. Meta-ACON-C generates
beta from the input (§4); 'channel' is the official module, 'layer' and 'pixel' are acon's
(src/layers/meta_acon.ts): beta = sigmoid(BN(w * mean_chw(x) + b)) per sample, and
beta = sigmoid(BN(w_c * x + b_c)) per element. normalization='none' drops the BN steps.
"""
import torch
from torch import nn


def acon_c(x, p1, p2, beta):
    d = p1 * x - p2 * x
    return d * torch.sigmoid(beta * d) + p2 * x


class AconA(nn.Module):
    """f(x) = x * sigmoid(beta * x); beta [1,C,1,1] starts at 1."""

    def __init__(self, width):
        super().__init__()
        self.beta = nn.Parameter(torch.ones(1, width, 1, 1))

    def forward(self, x):
        return x * torch.sigmoid(self.beta * x)


class AconB(nn.Module):
    """f(x) = (1 - p)x * sigmoid(beta (1 - p)x) + px; p starts at 0.25, beta at 1."""

    def __init__(self, width):
        super().__init__()
        self.p = nn.Parameter(torch.full((1, width, 1, 1), 0.25))
        self.beta = nn.Parameter(torch.ones(1, width, 1, 1))

    def forward(self, x):
        return acon_c(x, 1.0, self.p, self.beta)


class AconC(nn.Module):
    """The official AconC: p1, p2 ~ N(0, 1), beta = 1, all [1,C,1,1]."""

    def __init__(self, width):
        super().__init__()
        self.p1 = nn.Parameter(torch.randn(1, width, 1, 1))
        self.p2 = nn.Parameter(torch.randn(1, width, 1, 1))
        self.beta = nn.Parameter(torch.ones(1, width, 1, 1))

    def forward(self, x):
        return acon_c(x, self.p1, self.p2, self.beta)


class MetaAconC(nn.Module):
    """Meta-ACON-C: ACON-C with beta = G(x).

    granularity 'channel' (the official module): beta = sigmoid(bn2(fc2(bn1(fc1(mean_hw(x)))))),
      fc1/fc2 1x1 convs with bias, hidden width max(r, C // r), no nonlinearity in between.
    'layer': beta = sigmoid(bn(fc(mean_chw(x)))), fc = Linear(1, 1), one beta per sample.
    'pixel': beta = sigmoid(bn(scale * x + bias)), scale/bias [1,C,1,1] starting at 1/0.
    """

    def __init__(self, width, r=16, granularity="channel", normalization="batch"):
        super().__init__()
        if granularity not in ("channel", "layer", "pixel"):
            raise ValueError(f"MetaAconC: granularity must be 'channel', 'layer' or 'pixel', got {granularity!r}")
        if normalization not in ("batch", "none"):
            raise ValueError(f"MetaAconC: normalization must be 'batch' or 'none', got {normalization!r}")
        self.granularity = granularity
        self.normalization = normalization
        norm = normalization == "batch"
        self.p1 = nn.Parameter(torch.randn(1, width, 1, 1))
        self.p2 = nn.Parameter(torch.randn(1, width, 1, 1))
        if granularity == "channel":
            hidden = max(r, width // r)
            self.fc1 = nn.Conv2d(width, hidden, kernel_size=1, stride=1, bias=True)
            self.fc2 = nn.Conv2d(hidden, width, kernel_size=1, stride=1, bias=True)
            if norm:
                self.bn1 = nn.BatchNorm2d(hidden)
                self.bn2 = nn.BatchNorm2d(width)
        elif granularity == "layer":
            self.fc = nn.Linear(1, 1)
            if norm:
                self.bn = nn.BatchNorm1d(1)
        else:
            self.scale = nn.Parameter(torch.ones(1, width, 1, 1))
            self.bias = nn.Parameter(torch.zeros(1, width, 1, 1))
            if norm:
                self.bn = nn.BatchNorm2d(width)

    def _norm(self, name, v):
        return getattr(self, name)(v) if self.normalization == "batch" else v

    def generate_beta(self, x):
        """beta, broadcastable against x: [N,C,1,1], [N,1,1,1] or [N,C,H,W]."""
        if self.granularity == "channel":
            m = x.mean(dim=2, keepdim=True).mean(dim=3, keepdim=True)
            return torch.sigmoid(self._norm("bn2", self.fc2(self._norm("bn1", self.fc1(m)))))
        if self.granularity == "layer":
            m = x.mean(dim=(1, 2, 3)).reshape(-1, 1)
            return torch.sigmoid(self._norm("bn", self.fc(m))).reshape(-1, 1, 1, 1)
        return torch.sigmoid(self._norm("bn", self.scale * x + self.bias))

    def forward(self, x):
        return acon_c(x, self.p1, self.p2, self.generate_beta(x))


ACON_MODULES = (AconA, AconB, AconC, MetaAconC)
