"""The plain net of bench/parallel_models.ts in PyTorch: SGD training steps, batch 128, 2 threads.

Prints one JSON object: {"imagesPerSec": ..., "msPerStep": ..., "torch": version}. Run by
bench/parallel_training.bench.ts when Debian's python3-torch is installed.
"""
import json
import sys
import time

import torch
from torch import nn

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(0)
net = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
    nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
    nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10),
)
opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
x = torch.rand(128, 1, 28, 28)
y = torch.randint(0, 10, (128,))
loss_fn = nn.CrossEntropyLoss()


def step():
    opt.zero_grad()
    loss = loss_fn(net(x), y)
    loss.backward()
    opt.step()
    return loss.item()


for _ in range(10):
    step()
times = []
for _ in range(60):
    t0 = time.perf_counter()
    step()
    times.append(time.perf_counter() - t0)
times.sort()
ms = 1000 * times[len(times) // 2]
print(json.dumps({"imagesPerSec": 128 / (ms / 1000), "msPerStep": ms, "torch": torch.__version__}))
