"""PyTorch twins of the op benchmark (bench/torch_ops.bench.ts): the official ACON modules of
nmaac/acon (AconC, MetaAconC; their forward copied verbatim in torch_official.py) and the native SiLU, at the given shapes and
thread count, in training mode, forward and forward+backward (every gradient: x and all parameters).

Usage: torch_ops.py THREADS ITERS N,C,H,W [N,C,H,W ...]
Prints one JSON object: {"torch": version, "threads": T, "records": [{"module", "case", "shape", "ms", "cpuMs"}]}.
"""
import json
import sys
import time

import torch
from torch import nn

from torch_official import AconC, MetaAconC, official


def median_ms(fn, iters):
    """Median wall and process-CPU milliseconds per call (CPU time is robust to a loaded machine at 1 thread)."""
    for _ in range(3):
        fn()
    wall, cpu = [], []
    for _ in range(iters):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    wall.sort()
    cpu.sort()
    return 1000 * wall[len(wall) // 2], 1000 * cpu[len(cpu) // 2]


def main():
    threads, iters = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    records = []
    for spec in sys.argv[3:]:
        n, c, h, w = (int(v) for v in spec.split(","))
        x = torch.randn(n, c, h, w) * 2
        dy = torch.randn(n, c, h, w)
        for name, module in (("AconC", official(AconC(c))), ("MetaAconC", official(MetaAconC(c))), ("SiLU", nn.SiLU())):
            module.train()
            xg = x.clone().requires_grad_(True)

            def forward():
                with torch.no_grad():
                    return module(x)

            def forward_backward():
                for p in module.parameters():
                    p.grad = None
                xg.grad = None
                module(xg).backward(dy)

            for case, fn in (("forward", forward), ("forward+backward", forward_backward)):
                ms, cpu_ms = median_ms(fn, iters)
                records.append({"module": name, "case": case, "shape": [n, c, h, w], "ms": ms, "cpuMs": cpu_ms})
    print(json.dumps({"torch": torch.__version__, "threads": threads, "records": records}))


main()
