"""results.json in acon's schema (src/results/schema.ts, version 2), so `acon report` and the explorer read a
PyTorch run as they read a tfjs one. `results_file` is the one place that writes the schema."""
import json
import os
import platform

import torch

from .acon import AconA, AconB, AconC, MetaAconC

RESULTS_VERSION = 2
BETA_SAMPLES = 7


def results_file(config, environment, runs, created_at):
    """The results.json object: config {model, widthMultiplier, repeats, activations, seeds, epochs,
    batchSize, learningRate, momentum, weightDecay, labelSmoothing, data {source, trainCount,
    testCount}}, environment {node, cpus}, and the run records, each with the backend and worker
    count that `environment(...)` holds."""
    env = {k: v for k, v in environment.items() if k not in ("backend", "workers")}
    placed = [{"backend": environment["backend"], "workers": environment["workers"], **run} for run in runs]
    return {"version": RESULTS_VERSION, "createdAt": created_at, "config": config, "environment": env, "runs": placed}


def environment(backend, world_size):
    cpus = os.cpu_count() or 0
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), model)
    except OSError:
        pass
    return {"backend": backend, "workers": world_size,
            "node": f"n/a (PyTorch {torch.__version__}, Python {platform.python_version()})", "cpus": f"{cpus} × {model}"}


def write_json_atomic(path, obj):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1, allow_nan=True)
    os.replace(tmp, path)


def _values(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def activation_layers(model, probe):
    """The learned activation of every ACON module (src/train/inspect.ts): p1, p2, beta per channel;
    for Meta-ACON the generated beta over `probe` (mean per channel, and the first few samples)."""
    acons = [(name, m) for name, m in model.named_modules() if isinstance(m, (AconA, AconB, AconC, MetaAconC))]
    inputs = {}
    hooks = [m.register_forward_hook(lambda mod, inp, out: inputs.__setitem__(id(mod), inp[0]))
             for _, m in acons if isinstance(m, MetaAconC)]
    was_training = model.training
    model.eval()
    records = []
    with torch.no_grad():
        if hooks:
            model(probe)
        for h in hooks:
            h.remove()
        for index, (name, m) in enumerate(acons):
            base = {"name": name.replace(".", "/"), "index": index, "kind": type(m).__name__}
            if isinstance(m, MetaAconC):
                beta = m.generate_beta(inputs[id(m)])
                by_channel = beta.mean(dim=(2, 3))  # [N, C] (or [N, 1] layer-wise)
                mean = _values(by_channel.mean(0))
                C = m.p1.numel()
                records.append({**base, "granularity": m.granularity, "p1": _values(m.p1), "p2": _values(m.p2),
                                "beta": mean * C if len(mean) == 1 else mean,
                                "betaPerSample": [_values(r) for r in by_channel[:BETA_SAMPLES]]})
                continue
            C = m.beta.numel()
            p1 = _values(m.p1) if isinstance(m, AconC) else [1.0] * C
            p2 = _values(m.p2) if isinstance(m, AconC) else _values(m.p) if isinstance(m, AconB) else [0.0] * C
            beta = _values(m.beta)
            records.append({**base, "p1": p1, "p2": p2, "beta": beta, "betaPerSample": [beta] * BETA_SAMPLES})
    model.train(was_training)
    return records
