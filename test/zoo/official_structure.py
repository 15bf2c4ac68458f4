"""Parameter counts and per-module sizes of the official ACON ImageNet models, for test/zoo.

A compact re-statement of the structures of nmaac/acon (ACON/ShuffleNetV2_ACON/network.py,
MetaACON/ShuffleNet_MetaACON/network.py, ACON/ResNet_ACON/resnet_acon.py,
MetaACON/ResNet_MetaACON/resnet_metaacon.py, acon.py) and of their ReLU baselines
(megvii-model/ShuffleNet-Series ShuffleNetV2, torchvision resnet), built from torch.nn modules so
that the state_dict keys and shapes are PyTorch's own. Prints JSON:
{variant: {"params": n, "buffers": n, "shapes": {state_dict key: shape}}} (num_batches_tracked left out).
Usage: /usr/bin/python3 test/zoo/official_structure.py [variant ...]
"""
import json
import sys

import torch
from torch import nn


class AconC(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.p1 = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.p2 = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.beta = nn.Parameter(torch.ones(1, c, 1, 1))


class MetaAconC(nn.Module):
    def __init__(self, c, r=16):
        super().__init__()
        h = max(r, c // r)
        self.fc1 = nn.Conv2d(c, h, 1, bias=True)
        self.bn1 = nn.BatchNorm2d(h)
        self.fc2 = nn.Conv2d(h, c, 1, bias=True)
        self.bn2 = nn.BatchNorm2d(c)
        self.p1 = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.p2 = nn.Parameter(torch.zeros(1, c, 1, 1))


def act(kind, c, r=16):
    return {"relu": lambda: nn.ReLU(), "aconC": lambda: AconC(c), "metaAconC": lambda: MetaAconC(c, r)}[kind]()


SHUFFLE_CHANNELS = {"0.5x": [24, 48, 96, 192, 1024], "1.0x": [24, 116, 232, 464, 1024],
                    "1.5x": [24, 176, 352, 704, 1024], "2.0x": [24, 244, 488, 976, 2048]}


class ShuffleBlock(nn.Module):
    def __init__(self, inp, oup, mid, stride, kind, r):
        super().__init__()
        b = kind != "relu"
        out = oup - inp
        self.branch_main = nn.Sequential(
            nn.Conv2d(inp, mid, 1, 1, 0, bias=b), nn.BatchNorm2d(mid), act(kind, mid, r),
            nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=b), nn.BatchNorm2d(mid),
            nn.Conv2d(mid, out, 1, 1, 0, bias=b), nn.BatchNorm2d(out), act(kind, out, r))
        if stride == 2:
            self.branch_proj = nn.Sequential(
                nn.Conv2d(inp, inp, 3, 2, 1, groups=inp, bias=b), nn.BatchNorm2d(inp),
                nn.Conv2d(inp, inp, 1, 1, 0, bias=b), nn.BatchNorm2d(inp), act(kind, inp, r))


class ShuffleNetV2(nn.Module):
    def __init__(self, size, kind, n_class=1000):
        super().__init__()
        ch = SHUFFLE_CHANNELS[size]
        b = kind != "relu"
        r = 8 if size == "0.5x" else 16
        self.first_conv = nn.Sequential(nn.Conv2d(3, ch[0], 3, 2, 1, bias=b), nn.BatchNorm2d(ch[0]), act(kind, ch[0], r))
        blocks, inp = [], ch[0]
        for stage, repeats in enumerate([4, 8, 4]):
            oup = ch[stage + 1]
            for i in range(repeats):
                blocks.append(ShuffleBlock(inp, oup, oup // 2, 2, kind, r) if i == 0 else ShuffleBlock(inp // 2, oup, oup // 2, 1, kind, r))
                inp = oup
        self.features = nn.Sequential(*blocks)
        self.conv_last = nn.Sequential(nn.Conv2d(inp, ch[4], 1, 1, 0, bias=b), nn.BatchNorm2d(ch[4]), act(kind, ch[4], r))
        self.classifier = nn.Sequential(nn.Linear(ch[4], n_class, bias=b))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inp, planes, stride, kind):
        super().__init__()
        b = kind != "relu"
        s1, s2 = (1, stride) if kind == "relu" else (stride, 1)
        self.conv1 = nn.Conv2d(inp, planes, 1, s1, bias=b)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, s2, 1, bias=b)
        self.bn2 = nn.BatchNorm2d(planes)
        if kind != "relu":
            self.acon = act(kind, planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=b)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        if stride != 1 or inp != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(inp, planes * 4, 1, stride, bias=b), nn.BatchNorm2d(planes * 4))


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inp, planes, stride, kind):
        super().__init__()
        b = kind != "relu"
        self.conv1 = nn.Conv2d(inp, planes, 3, stride, 1, bias=b)
        self.bn1 = nn.BatchNorm2d(planes)
        if kind != "relu":
            self.acon1 = act(kind, planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=b)
        self.bn2 = nn.BatchNorm2d(planes)
        if kind != "relu":
            self.acon2 = act(kind, planes)
        if stride != 1 or inp != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inp, planes, 1, stride, bias=b), nn.BatchNorm2d(planes))


class ResNet(nn.Module):
    def __init__(self, block, layers, kind, num_classes=1000):
        super().__init__()
        b = kind != "relu"
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=b)
        self.bn1 = nn.BatchNorm2d(64)
        inp = 64
        for s, n in enumerate(layers):
            planes = 64 * 2 ** s
            blocks = []
            for i in range(n):
                blocks.append(block(inp, planes, 2 if (i == 0 and s > 0) else 1, kind))
                inp = planes * block.expansion
            setattr(self, f"layer{s + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(512 * block.expansion, num_classes)


RESNETS = {"18": (BasicBlock, [2, 2, 2, 2]), "34": (BasicBlock, [3, 4, 6, 3]), "50": (Bottleneck, [3, 4, 6, 3]),
           "101": (Bottleneck, [3, 4, 23, 3]), "152": (Bottleneck, [3, 8, 36, 3])}
KINDS = ["relu", "aconC", "metaAconC"]


def variants():
    for size in SHUFFLE_CHANNELS:
        for kind in KINDS:
            yield f"shufflenetv2_{size}_{kind}", lambda size=size, kind=kind: ShuffleNetV2(size, kind)
    for depth, (block, layers) in RESNETS.items():
        for kind in KINDS:
            yield f"resnet{depth}_{kind}", lambda block=block, layers=layers, kind=kind: ResNet(block, layers, kind)


def describe(model):
    shapes = {k: list(t.shape) for k, t in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(t.numel() for k, t in model.named_buffers() if not k.endswith("num_batches_tracked"))
    return {"params": params, "buffers": buffers, "shapes": shapes}


if __name__ == "__main__":
    wanted = set(sys.argv[1:])
    out = {name: describe(build()) for name, build in variants() if not wanted or name in wanted}
    json.dump(out, sys.stdout)
