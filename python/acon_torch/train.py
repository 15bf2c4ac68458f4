"""`acon compare`'s experiment on PyTorch's distributed engine:

    torchrun --nproc_per_node N -m acon_torch.train --activations relu,aconC --seeds 3 --out runs/torch

The recipe of `acon train` (src/train/trainer.ts): SGD with momentum 0.9, the learning rate
decayed linearly to 0 per step (lr_t = lr * (1 - t/T), set before step t), softmax cross-entropy
with label smoothing 0.1, weight decay on conv and dense kernels only (never on ACON parameters,
Meta-ACON's generator, BN or biases), batch 128, the last partial batch dropped; seed s fixes the
initialisation (torch.manual_seed(s)) and the data order (acon's batchOrder, the same batches as
the tfjs engine). Each global batch is split into contiguous shards, one per process (DDP; gloo on
CPU, nccl with CUDA), batch norm synchronised across processes, each process's loss scaled by
W*n_k/N so that DDP's average of the gradients is the gradient of the global batch's mean loss:
N processes train as 1 on the same global batch. Rank 0 evaluates after every epoch, writes a
safetensors checkpoint per run (checkpoints/RUN.safetensors, replaced every epoch), the final
model (models/RUN.safetensors, module names = acon's layer names with '/' -> '.') and results.json.
"""
import argparse
import datetime
import json
import math
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from . import data as acon_data
from .models import MODEL_NAMES, build_model, count_macs, count_params, format_activation, generator_modules
from .results import activation_layers, environment, results_file, write_json_atomic
from .safetensors import write_safetensors
from .sync_bn import DistributedBatchNorm

EVAL_BATCH = 500
BETA_MEAN_IMAGES = 500


def parse_args(argv):
    p = argparse.ArgumentParser(prog="acon_torch.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=MODEL_NAMES, default="shufflenet")
    p.add_argument("--width", type=float, default=0.5, help="ShuffleNetV2 width multiplier")
    p.add_argument("--repeats", type=lambda s: [int(v) for v in s.split(",")], help="blocks per stage")
    p.add_argument("--activations", type=lambda s: [v for v in s.split(",") if v], default=["relu", "swish", "aconC", "metaAconC"])
    p.add_argument("--seeds", type=int, default=3, help="seeds 1..K")
    p.add_argument("--seed", type=int, help="one seed (instead of --seeds)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128, help="global batch (split over the processes)")
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=4e-5)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--data", help="directory of the idx files ('sample' for the bundled sample); default as acon")
    p.add_argument("--per-class", type=int, help="the first K train and ceil(K/6) (at least 2) test images per class")
    p.add_argument("--out", default="runs/torch")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                   help="float64 makes N processes match 1 to ~1e-12 (tests); float32 as acon")
    p.add_argument("--threads", type=int, help="torch threads per process (default: cores / local processes)")
    a = p.parse_args(argv)
    for v in a.activations:
        format_activation(v)
    if a.batch_size < 2:
        p.error(f"--batch-size must be >= 2 (BatchNorm needs 2 values), got {a.batch_size}")
    if a.epochs < 1:
        p.error(f"--epochs must be >= 1, got {a.epochs}")
    return a


def log(msg):
    print(msg, flush=True)


def split_tensors(split):
    images, labels = split
    return torch.from_numpy(acon_data.normalize(images)), torch.from_numpy(labels.astype("int64"))


def evaluate(model, x, y, limit=None):
    """Mean cross-entropy (no smoothing) and error in inference mode on the first `limit` items."""
    n = len(x) if limit is None else min(limit, len(x))
    loss_sum, wrong = 0.0, 0
    model.eval()
    with torch.no_grad():
        for start in range(0, n, EVAL_BATCH):
            xb, yb = x[start:min(n, start + EVAL_BATCH)], y[start:min(n, start + EVAL_BATCH)]
            logits = model(xb)
            loss_sum += F.cross_entropy(logits, yb, reduction="sum").item()
            wrong += (logits.argmax(1) != yb).sum().item()
    model.train()
    return loss_sum / n, wrong / n


def param_groups(model, weight_decay):
    """Conv and dense kernels of the network decay; everything else (ACON p1/p2/beta, Meta-ACON's
    generator, BN, biases) does not (the tfjs trainer's decayWeights)."""
    inner = generator_modules(model)
    decay = [m.weight for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)) and id(m) not in inner]
    ids = {id(p) for p in decay}
    rest = [p for p in model.parameters() if id(p) not in ids]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


def export_state_dict(model):
    """The state_dict as acon's exportTorchStateDict writes it (no num_batches_tracked)."""
    return {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


def run_name(activation, seed):
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in activation) + f"_seed{seed}"


def train_run(args, activation, seed, train, test, dist_info):
    rank, world, device = dist_info["rank"], dist_info["world"], dist_info["device"]
    (xtr, ytr), (xte, yte) = train, test
    torch.manual_seed(seed)
    model = build_model(args.model, activation, args.width, args.repeats)
    flops, params = count_macs(model), count_params(model)
    if device.type == "cuda":
        if world > 1:
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model, dist_info["bn_group"])
    else:
        model = DistributedBatchNorm.convert(model, dist_info["bn_group"])
    dtype = getattr(torch, args.dtype)
    model.to(device, dtype)
    ddp = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None,
                                              broadcast_buffers=False) if world > 1 else model
    opt = torch.optim.SGD(param_groups(model, args.weight_decay), lr=args.lr, momentum=args.momentum)
    B = args.batch_size
    steps_per_epoch = len(xtr) // B
    if steps_per_epoch < 1:
        raise ValueError(f"batch size {B} is larger than the {len(xtr)} training images")
    total = steps_per_epoch * args.epochs
    lo, hi = acon_data.shard_range(B, world, rank)
    if hi - lo < 1:
        raise ValueError(f"batch size {B} gives process {rank} of {world} an empty shard")
    scale = world / B
    label = f"[{activation} seed {seed}]"
    name = run_name(activation, seed)
    records, train_seconds, wall_start = [], 0.0, time.perf_counter()
    report_every = max(1, steps_per_epoch // 10)
    for epoch in range(args.epochs):
        order = torch.from_numpy(acon_data.batch_order(len(xtr), seed, epoch))
        t0 = time.perf_counter()
        loss_sum = 0.0
        for step in range(steps_per_epoch):
            t = epoch * steps_per_epoch + step
            lr = args.lr * (1 - t / total)
            for g in opt.param_groups:
                g["lr"] = lr
            idx = order[step * B + lo: step * B + hi]
            xb, yb = xtr[idx].to(device, dtype), ytr[idx].to(device)
            local = F.cross_entropy(ddp(xb), yb, label_smoothing=args.label_smoothing, reduction="sum")
            opt.zero_grad(set_to_none=True)
            (local * scale).backward()
            opt.step()
            loss = local.detach()
            if world > 1:
                dist.all_reduce(loss)
            loss = loss.item() / B
            if not math.isfinite(loss):
                raise FloatingPointError(f"{activation} seed {seed}: training diverged (loss {loss}) at epoch {epoch + 1} step {step + 1}")
            loss_sum += loss
            if rank == 0 and ((step + 1) % report_every == 0 or step + 1 == steps_per_epoch):
                ips = (step + 1) * B / (time.perf_counter() - t0)
                log(f"{label} epoch {epoch + 1}/{args.epochs} step {step + 1}/{steps_per_epoch}: loss {loss:.4f}, {ips:.0f} img/s")
        seconds = time.perf_counter() - t0
        train_seconds += seconds
        if rank == 0:
            test_loss, test_error = evaluate(model, xte.to(device, dtype), yte.to(device))
            _, train_error = evaluate(model, xtr.to(device, dtype), ytr.to(device), len(xte))
            rec = {"epoch": epoch + 1, "trainLoss": loss_sum / steps_per_epoch, "trainError": train_error, "testLoss": test_loss,
                   "testError": test_error, "lr": lr, "seconds": seconds, "imagesPerSec": steps_per_epoch * B / seconds}
            records.append(rec)
            log(f"{label} epoch {epoch + 1}/{args.epochs}: train loss {rec['trainLoss']:.4f}, test error {100 * test_error:.2f}%, "
                f"{rec['imagesPerSec']:.0f} img/s, {seconds:.1f} s")
            write_safetensors(os.path.join(args.out, "checkpoints", name + ".safetensors"), export_state_dict(model),
                              {"format": "pt", "epoch": epoch + 1, "records": json.dumps(records)})
    if rank != 0:
        return None
    model_file = os.path.join("models", name + ".safetensors")
    write_safetensors(os.path.join(args.out, model_file), export_state_dict(model), {"format": "pt"})
    sample = acon_data.batch_order(len(xte), seed, -1)[:min(BETA_MEAN_IMAGES, len(xte))].tolist()
    layers = activation_layers(model, xte[sample].to(device, dtype))
    return {"activation": activation, "seed": seed, "epochs": records, "finalTestError": records[-1]["testError"],
            "params": params, "flops": flops, "wallSeconds": time.perf_counter() - wall_start,
            "imagesPerSec": args.epochs * steps_per_epoch * B / train_seconds if train_seconds > 0 else 0,
            "layers": layers, "betaSampleIndices": sample[:7], "modelFile": model_file}


def init_distributed(threads):
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    cuda = torch.cuda.is_available()
    device = torch.device("cuda", local_rank) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    else:
        torch.set_num_threads(threads or max(1, (os.cpu_count() or 1) // local_world))
    backend = "nccl" if cuda else "gloo"
    bn_group = None
    if world > 1:
        dist.init_process_group(backend, timeout=datetime.timedelta(minutes=30))
        bn_group = dist.new_group(backend=backend)  # batch norm's all-reduces: a group of their own (sync_bn.py)
    return {"rank": rank, "world": world, "device": device, "backend": backend, "bn_group": bn_group}


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    info = init_distributed(args.threads)
    rank = info["rank"]
    per_test = None if args.per_class is None else max(2, -(-args.per_class // 6))
    d = acon_data.load(args.data, args.per_class, per_test)
    train, test = split_tensors(d["train"]), split_tensors(d["test"])
    activations = [format_activation(a) for a in args.activations]
    seeds = [args.seed] if args.seed is not None else list(range(1, args.seeds + 1))
    if rank == 0:
        for sub in ("checkpoints", "models"):
            os.makedirs(os.path.join(args.out, sub), exist_ok=True)
        log(f"data: {d['description']}: {len(train[0])} train / {len(test[0])} test images")
        log(f"engine: PyTorch {torch.__version__}, {info['world']} process{'es' if info['world'] > 1 else ''} "
            f"({info['backend']}, {info['device'].type}), {torch.get_num_threads()} threads each")
    config = {"model": args.model, "widthMultiplier": args.width, "activations": activations, "seeds": seeds, "epochs": args.epochs,
              "batchSize": args.batch_size, "learningRate": args.lr, "momentum": args.momentum, "weightDecay": args.weight_decay,
              "labelSmoothing": args.label_smoothing,
              "data": {"source": d["description"], "trainCount": len(train[0]), "testCount": len(test[0])}}
    if args.repeats:
        config["repeats"] = args.repeats
    env = environment(f"torch {torch.__version__} DDP ({info['backend']}, {info['device'].type})", info["world"])
    created = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    runs = []
    results_path = os.path.join(args.out, "results.json")
    try:
        # Seeds outermost, as acon compare: an interrupted experiment has every activation for its finished seeds.
        for seed in seeds:
            for activation in activations:
                run = train_run(args, activation, seed, train, test, info)
                if rank == 0:
                    runs.append(run)
                    write_json_atomic(results_path, results_file(config, env, runs, created))
        if rank == 0:
            log(f"results: {results_path}")
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
