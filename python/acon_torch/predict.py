"""Logits of a twin network for weights saved by either engine:

    python3 -m acon_torch.predict --model shufflenet --activation aconC --repeats 1,2,1 \\
        --weights model.safetensors --input x.safetensors --output logits.safetensors

`--weights` is a state_dict with acon's module names (what interop.exportTorchStateDict writes,
or models/RUN.safetensors of the torch trainer); `--input` holds `x`, NCHW [N,1,28,28] float32;
the output holds `logits` [N,10] of the model in eval mode.
"""
import argparse
import sys

import torch

from .models import MODEL_NAMES, build_model
from .safetensors import read_safetensors, write_safetensors


def load_state_dict(model, state_dict, where="state_dict"):
    """Loads every tensor of `model` from `state_dict` (num_batches_tracked may be absent); an
    error lists the missing and unexpected keys and any shape that differs."""
    own = model.state_dict()
    missing = [k for k in own if k not in state_dict and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state_dict if k not in own]
    shapes = [f"{k}: {list(state_dict[k].shape)} (model {list(own[k].shape)})" for k in own
              if k in state_dict and state_dict[k].shape != own[k].shape]
    if missing or unexpected or shapes:
        raise ValueError(f"{where}: {len(missing)} missing, {len(unexpected)} unexpected keys, {len(shapes)} shape mismatches"
                         + "".join(f"\n  {what}: {', '.join(keys)}" for what, keys in
                                   (("missing", missing), ("unexpected", unexpected), ("shapes", shapes)) if keys))
    model.load_state_dict({k: state_dict.get(k, own[k]) for k in own})
    return model


def main(argv=None):
    p = argparse.ArgumentParser(prog="acon_torch.predict", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=MODEL_NAMES, default="shufflenet")
    p.add_argument("--activation", required=True)
    p.add_argument("--width", type=float, default=0.5)
    p.add_argument("--repeats", type=lambda s: [int(v) for v in s.split(",")])
    p.add_argument("--weights", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    a = p.parse_args(argv)
    model = build_model(a.model, a.activation, a.width, a.repeats)
    load_state_dict(model, read_safetensors(a.weights), a.weights).eval()
    x = read_safetensors(a.input)["x"].float()
    with torch.no_grad():
        write_safetensors(a.output, {"logits": model(x)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
