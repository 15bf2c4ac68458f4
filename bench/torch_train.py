"""PyTorch twin of the training benchmark (bench/train_vs_torch.bench.ts): the compare network
(ShuffleNetV2 0.5x, stages 1,2,1, 28x28x1, 10 classes) built by python/acon_torch (AconC and
MetaAconC on the official forward, torch_official.py; native nn.BatchNorm2d, NCHW as PyTorch does it natively) and trained
with acon's recipe: SGD with momentum 0.9, learning rate 0.1, weight decay 4e-5 on conv and dense
kernels only, softmax cross-entropy with label smoothing 0.1, batch 128, seed 1 initialisation,
one process with THREADS intra-op threads.

Usage: torch_train.py THREADS STEPS WARMUP_SECONDS ACTIVATION[,ACTIVATION...]
Each activation's model is warmed up for WARMUP_SECONDS (at least 3 steps), then STEPS steps are timed.
Prints one JSON object: {"torch": version, "threads": T, "records": [{"activation", "ms", "cpuMs", "imagesPerSec"}]}
with the median wall and process-CPU milliseconds per step.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from acon_torch.models import build_model  # noqa: E402
from acon_torch.train import param_groups  # noqa: E402
from torch_official import official  # noqa: E402

BATCH = 128


def median(v):
    v = sorted(v)
    return v[len(v) // 2]


def main():
    threads, steps, warmup = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    activations = [a for a in sys.argv[4].split(",") if a]
    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(BATCH, 1, 28, 28, generator=gen)
    y = torch.randint(0, 10, (BATCH,), generator=gen)
    records = []
    for activation in activations:
        torch.manual_seed(1)
        model = official(build_model("shufflenet", activation, 0.5, [1, 2, 1]))
        model.train()
        opt = torch.optim.SGD(param_groups(model, 4e-5), lr=0.1, momentum=0.9)

        def step():
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss.item()

        t0, done = time.perf_counter(), 0
        while done < 3 or time.perf_counter() - t0 < warmup:
            step()
            done += 1
        wall, cpu = [], []
        for _ in range(steps):
            t, c = time.perf_counter(), time.process_time()
            step()
            wall.append(1000 * (time.perf_counter() - t))
            cpu.append(1000 * (time.process_time() - c))
        ms = median(wall)
        records.append({"activation": activation, "ms": ms, "cpuMs": median(cpu), "imagesPerSec": BATCH / (ms / 1000)})
    print(json.dumps({"torch": torch.__version__, "threads": threads, "records": records}))


main()
