"""The compare networks of acon (src/models/shufflenet.ts, resnet.ts) in PyTorch, NCHW.

Module paths equal acon's tfjs layer names with '/' -> '.' (layer `stage2/block1/conv1` is module
`stage2.block1.conv1`), so `state_dict()` has the keys `interop.exportTorchStateDict` writes.
Convolutions pad as tfjs's 'same' does: total padding max((out - 1)*s + k - in, 0), the smaller
half first (top/left), so a stride-2 3x3 conv on an even size pads 0 before and 1 after.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from .acon import AconA, AconB, AconC, MetaAconC

ACTIVATION_KINDS = ("relu", "swish", "aconA", "aconB", "aconC", "metaAconC")
GRANULARITIES = ("channel", "layer", "pixel")
MODEL_NAMES = ("shufflenet", "resnet")


def parse_activation(spec):
    """'aconC', 'metaAconC', 'metaAconC:pixel', ... -> (kind, granularity or None), as activation.ts."""
    kind, _, granularity = spec.strip().partition(":")
    accepted = f"{', '.join(ACTIVATION_KINDS)} (and metaAconC:channel|layer|pixel)"
    if kind not in ACTIVATION_KINDS or (granularity and (kind != "metaAconC" or granularity not in GRANULARITIES)):
        raise ValueError(f"unknown activation '{spec}'; expected one of {accepted}")
    return kind, granularity or None


def format_activation(spec):
    kind, granularity = parse_activation(spec)
    return f"{kind}:{granularity}" if granularity and granularity != "channel" else kind


def _same_padding(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


class SameConv2d(nn.Conv2d):
    """nn.Conv2d with tfjs's padding 'same' (asymmetric where tfjs's is)."""

    def forward(self, x):
        kh, kw = self.kernel_size
        sh, sw = self.stride
        top, bottom = _same_padding(x.shape[2], kh, sh)
        left, right = _same_padding(x.shape[3], kw, sw)
        if top or bottom or left or right:
            x = F.pad(x, (left, right, top, bottom))
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class Swish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)


class ChannelShuffleSplit(nn.Module):
    """Even channels, then odd ones (src/layers/channel_shuffle.ts; the official channel_shuffle)."""

    def forward(self, x):
        return x[:, 0::2], x[:, 1::2]


def make_activation(spec, width):
    kind, granularity = parse_activation(spec)
    if kind == "relu":
        return nn.ReLU()
    if kind == "swish":
        return Swish()
    if kind == "aconA":
        return AconA(width)
    if kind == "aconB":
        return AconB(width)
    if kind == "aconC":
        return AconC(width)
    return MetaAconC(width, granularity=granularity or "channel")


def conv(cin, cout, k, s):
    return SameConv2d(cin, cout, k, s, bias=False)


def dwconv(c, s):
    return SameConv2d(c, c, 3, s, groups=c, bias=False)


def bn(c):
    return nn.BatchNorm2d(c)


def shufflenet_widths(m):
    official = {0.5: [24, 48, 96, 192, 512], 1: [24, 116, 232, 464, 1024], 1.5: [24, 176, 352, 704, 1024], 2: [24, 244, 488, 976, 2048]}
    if m in official:
        return official[m]
    if not m > 0:
        raise ValueError(f"shufflenet: widthMultiplier must be > 0, got {m}")
    # Math.round in JavaScript rounds halves up.
    return [24] + [2 * max(4, math.floor(c * m / 0.5 / 2 + 0.5)) for c in (48, 96, 192)] + [512]


class ShuffleNetV2(nn.Module):
    """The ShuffleNetV2-style net of src/models/shufflenet.ts, every activation the one under study."""

    def __init__(self, activation, width_multiplier=0.5, stage_repeats=(4, 8, 4), in_channels=1, num_classes=10):
        super().__init__()
        widths = shufflenet_widths(width_multiplier)
        if len(stage_repeats) != 3 or any(int(r) != r or r < 1 for r in stage_repeats):
            raise ValueError(f"shufflenet: stageRepeats must be 3 positive integers, got {list(stage_repeats)}")
        act = lambda c: make_activation(activation, c)  # noqa: E731
        self.stem = nn.ModuleDict({"conv": conv(in_channels, widths[0], 3, 1), "bn": bn(widths[0]), "act": act(widths[0])})
        inp = widths[0]
        self.stages = []
        for s, repeats in enumerate(stage_repeats):
            oup = widths[s + 1]
            stage = nn.ModuleDict()
            for b in range(repeats):
                mid, out = oup // 2, (oup - inp if b == 0 else oup // 2)
                cin = inp if b == 0 else oup // 2
                # In the order acon builds the layers (projection branch first).
                if b == 0:
                    block = {"proj_dw": dwconv(inp, 2), "proj_bn1": bn(inp), "proj_conv": conv(inp, inp, 1, 1),
                             "proj_bn2": bn(inp), "proj_act": act(inp)}
                else:
                    block = {"shuffle": ChannelShuffleSplit()}
                block.update({
                    "conv1": conv(cin, mid, 1, 1), "bn1": bn(mid), "act1": act(mid),
                    "dw": dwconv(mid, 2 if b == 0 else 1), "bn2": bn(mid),
                    "conv2": conv(mid, out, 1, 1), "bn3": bn(out), "act2": act(out),
                })
                stage[f"block{b + 1}"] = nn.ModuleDict(block)
                inp = oup
            setattr(self, f"stage{s + 2}", stage)
            self.stages.append(stage)
        self.last = nn.ModuleDict({"conv": conv(inp, widths[4], 1, 1), "bn": bn(widths[4]), "act": act(widths[4])})
        self.classifier = nn.Linear(widths[4], num_classes)

    @staticmethod
    def _main(m, x):
        h = m["act1"](m["bn1"](m["conv1"](x)))
        h = m["bn2"](m["dw"](h))
        return m["act2"](m["bn3"](m["conv2"](h)))

    def forward(self, x):
        x = self.stem["act"](self.stem["bn"](self.stem["conv"](x)))
        for stage in self.stages:
            for m in stage.values():
                if "proj_dw" in m:
                    proj = m["proj_act"](m["proj_bn2"](m["proj_conv"](m["proj_bn1"](m["proj_dw"](x)))))
                    x = torch.cat([proj, self._main(m, x)], 1)
                else:
                    keep, work = m["shuffle"](x)
                    x = torch.cat([keep, self._main(m, work)], 1)
        x = self.last["act"](self.last["bn"](self.last["conv"](x)))
        return self.classifier(x.mean(dim=(2, 3)))


EXPANSION = 4


class ResNet(nn.Module):
    """The bottleneck ResNet of src/models/resnet.ts: only the activation after each 3x3 conv varies."""

    def __init__(self, activation, widths=(16, 32, 64), blocks=(2, 2, 2), in_channels=1, num_classes=10):
        super().__init__()
        if len(widths) != len(blocks):
            raise ValueError(f"resnet: widths {list(widths)} and blocks {list(blocks)} must have the same length")
        self.stem = nn.ModuleDict({"conv": conv(in_channels, widths[0], 3, 1), "bn": bn(widths[0]), "relu": nn.ReLU()})
        channels = widths[0]
        self.stages = []
        for s, w in enumerate(widths):
            stage = nn.ModuleDict()
            for b in range(blocks[s]):
                stride = 2 if b == 0 and s > 0 else 1
                block = {
                    "conv1": conv(channels, w, 1, 1), "bn1": bn(w), "relu1": nn.ReLU(),
                    "conv2": conv(w, w, 3, stride), "bn2": bn(w), "act": make_activation(activation, w),
                    "conv3": conv(w, w * EXPANSION, 1, 1), "bn3": bn(w * EXPANSION), "relu3": nn.ReLU(),
                }
                if stride != 1 or channels != w * EXPANSION:
                    block.update({"down_conv": conv(channels, w * EXPANSION, 1, stride), "down_bn": bn(w * EXPANSION)})
                stage[f"block{b + 1}"] = nn.ModuleDict(block)
                channels = w * EXPANSION
            setattr(self, f"stage{s + 1}", stage)
            self.stages.append(stage)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x):
        x = self.stem["relu"](self.stem["bn"](self.stem["conv"](x)))
        for stage in self.stages:
            for m in stage.values():
                h = m["relu1"](m["bn1"](m["conv1"](x)))
                h = m["act"](m["bn2"](m["conv2"](h)))
                h = m["bn3"](m["conv3"](h))
                shortcut = m["down_bn"](m["down_conv"](x)) if "down_conv" in m else x
                x = m["relu3"](h + shortcut)
        return self.classifier(x.mean(dim=(2, 3)))


def generator_modules(model):
    """ids of the modules inside Meta-ACON generators (initialised as the official code does)."""
    return {id(sub) for m in model.modules() if isinstance(m, MetaAconC) for sub in m.modules()}


def init_like_tfjs(model):
    """Glorot-uniform conv and dense kernels with zero biases, as tfjs-layers initialises them."""
    inner = generator_modules(model)
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)) and id(m) not in inner:
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return model


def build_model(model, activation, width_multiplier=0.5, repeats=None):
    """The network `acon` builds for these options (src/models/index.ts buildModel)."""
    if model == "shufflenet":
        net = ShuffleNetV2(activation, width_multiplier, tuple(repeats) if repeats else (4, 8, 4))
    elif model == "resnet":
        net = ResNet(activation, blocks=tuple(repeats) if repeats else (2, 2, 2))
    else:
        raise ValueError(f"unknown model '{model}'; expected one of shufflenet, resnet")
    return init_like_tfjs(net)


def count_macs(model, image_shape=(1, 28, 28)):
    """Multiply-accumulates of one forward pass of one image (src/models/flops.ts): conv and dense
    kernels times output positions; the convs inside Meta-ACON's generator are not counted."""
    macs = [0]
    inner = generator_modules(model)

    def hook(mod, _inp, out):
        positions = out.shape[2] * out.shape[3] if out.dim() == 4 else 1
        macs[0] += positions * mod.weight.numel()

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)) and id(m) not in inner]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, *image_shape))
    model.train(was_training)
    for h in handles:
        h.remove()
    return macs[0]


def count_params(model):
    """Every weight tfjs's countParams counts: parameters and BN running statistics."""
    return sum(t.numel() for k, t in model.state_dict().items() if not k.endswith("num_batches_tracked"))
