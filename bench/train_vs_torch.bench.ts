/**
 * Training the compare network, ours against PyTorch (#12's "Training" targets), side by side in
 * one run: ShuffleNetV2 0.5x with stages 1,2,1 on 28×28×1, batch 128, acon's recipe (SGD momentum
 * 0.9, lr 0.1, weight decay 4e-5 on conv and dense kernels, label smoothing 0.1), per activation.
 * Ours: wasm, `DataParallelTrainer` with 2 workers (what `npm start` trains), each trainer warmed
 * up first as `parallel_training.bench.ts` does; PyTorch: `bench/torch_train.py` with Debian's
 * python3-torch, the official AconC / MetaAconC modules, native BatchNorm2d, NCHW, 2 threads.
 * The one-thread pair (ours with 1 replica, PyTorch with 1 thread) gives extra rows. Rounds
 * alternate ours-2 / PyTorch-2 / ours-1 / PyTorch-1; every record carries the per-round values, the
 * ratio ours / PyTorch in images/s (targets ≥ 1.0 ReLU, ≥ 1.5 ACON-C and Meta-ACON at 2 vs 2) and
 * each activation's step time over the ReLU step (ours: ≤ 1.15 ACON-C, ≤ 1.3 Meta-ACON), with CPU
 * time (all threads of the process) beside wall time. Skips PyTorch, saying so, when it is absent.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initNodeBackend } from '../src/node/backend.js';
import { DataParallelTrainer } from '../src/node/parallel/index.js';
import type { BenchRecord, BenchSuite } from './harness.js';

const ACTIVATIONS = ['relu', 'aconC', 'metaAconC'] as const;
const BATCH = 128;
const SHAPE = [BATCH, 28, 28, 1];
const KERNEL_LAYERS = new Set(['Conv2D', 'DepthwiseConv2D', 'Dense']);
const TARGET_OVER_TORCH: Record<string, number> = { relu: 1.0, aconC: 1.5, metaAconC: 1.5 };
const TARGET_OVER_RELU: Record<string, number> = { aconC: 1.15, metaAconC: 1.3 };
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const round2 = (v: number) => +v.toFixed(2);

/** Median wall and CPU ms per step of one side, per activation, in one round. */
type RoundTimes = Record<string, { ms: number; cpuMs: number }>;

interface TorchRun {
  torch: string;
  threads: number;
  records: { activation: string; ms: number; cpuMs: number }[];
}

function torchRun(threads: number, steps: number, warmupSeconds: number): TorchRun | string {
  try {
    const out = execFileSync(
      existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3',
      [
        fileURLToPath(new URL('./torch_train.py', import.meta.url)),
        String(threads),
        String(steps),
        String(warmupSeconds),
        ACTIVATIONS.join(','),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 },
    );
    return JSON.parse(out) as TorchRun;
  } catch (err) {
    const msg = String((err as { stderr?: string }).stderr || (err as Error).message);
    return /No module named .?torch/.test(msg) ? 'no python3-torch' : `python3 failed: ${msg.trim().split('\n').pop()}`;
  }
}

async function createTrainer(activation: string, workers: number): Promise<DataParallelTrainer> {
  return DataParallelTrainer.create({
    model: { module: new URL('./parallel_models.ts', import.meta.url), exportName: 'compareNet', options: { activation } },
    optimizer: {
      type: 'sgd',
      learningRate: 0.1,
      momentum: 0.9,
      weightDecay: 4e-5,
      decayWeights: (w) => KERNEL_LAYERS.has(w.layerClass) && w.name.endsWith('kernel'),
    },
    loss: { type: 'softmaxCrossEntropy', labelSmoothing: 0.1 },
    workers,
    backend: 'wasm',
    log: () => {},
  });
}

/** Median wall and process-CPU ms of `steps` steps. */
async function timeSteps(trainer: DataParallelTrainer, x: tf.Tensor, y: tf.Tensor, steps: number) {
  const wall: number[] = [],
    cpu: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now(),
      c0 = process.cpuUsage();
    await trainer.step(x, y);
    const c = process.cpuUsage(c0);
    wall.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { ms: median(wall), cpuMs: median(cpu) };
}

const suite: BenchSuite = {
  name: 'train.vsTorch',
  async run({ quick }) {
    await initNodeBackend({ backend: 'wasm', log: () => {} });
    const rounds = quick ? 1 : 3,
      steps = quick ? 4 : 10,
      warmupMs = quick ? 2000 : 15_000,
      torchWarmupS = quick ? 1 : 3;
    const x = tf.randomNormal(SHAPE, 0, 1, 'float32', 1),
      y = tf.randomUniform([BATCH], 0, 10, 'int32', 2);
    const sides = [
      { label: 'ours, wasm, 2 workers', workers: 2, threads: 2 },
      { label: 'ours, wasm, 1 replica', workers: 1, threads: 1 },
    ];
    const trainers = new Map<string, DataParallelTrainer>();
    const ours: Record<number, RoundTimes[]> = { 1: [], 2: [] };
    const torch: Record<number, TorchRun[]> = { 1: [], 2: [] };
    let skipped: string | undefined;
    try {
      for (const side of sides)
        for (const a of ACTIVATIONS) {
          const t = await createTrainer(a, side.workers);
          trainers.set(`${side.workers}/${a}`, t);
          const t0 = performance.now();
          for (let i = 0; i < 3 || performance.now() - t0 < warmupMs; i++) await t.step(x, y);
        }
      for (let r = 0; r < rounds; r++)
        for (const side of sides) {
          const times: RoundTimes = {};
          for (const a of ACTIVATIONS) times[a] = await timeSteps(trainers.get(`${side.workers}/${a}`)!, x, y, steps);
          ours[side.workers].push(times);
          if (skipped) continue;
          const t = torchRun(side.threads, steps, torchWarmupS);
          if (typeof t === 'string') skipped = t;
          else torch[side.threads].push(t);
        }
    } finally {
      await Promise.all([...trainers.values()].map((t) => t.dispose()));
      tf.dispose([x, y]);
    }

    const records: BenchRecord[] = [];
    for (const side of sides) {
      const mine = ours[side.workers];
      const theirs = (a: string) => torch[side.threads].map((run) => run.records.find((q) => q.activation === a)!);
      for (const a of ACTIVATIONS) {
        const ms = mine.map((t) => t[a].ms),
          cpu = mine.map((t) => t[a].cpuMs);
        const overRelu = mine.map((t) => t[a].ms / t.relu.ms);
        const extra: Record<string, unknown> = {
          roundsMs: ms.map((v) => +v.toFixed(1)),
          cpuMs: +median(cpu).toFixed(1),
          stepOverRelu: round2(median(overRelu)),
          stepOverReluRounds: overRelu.map(round2),
          stepOverReluCpu: round2(median(mine.map((t) => t[a].cpuMs / t.relu.cpuMs))),
        };
        if (side.workers === 2 && TARGET_OVER_RELU[a]) extra.stepOverReluTarget = TARGET_OVER_RELU[a];
        if (skipped) extra.torch = `skipped: ${skipped}`;
        else {
          const t = theirs(a);
          // images/s ours / PyTorch = PyTorch ms / ours ms, round by round.
          const over = t.map((q, i) => q.ms / ms[i]);
          extra.torchMs = +median(t.map((q) => q.ms)).toFixed(1);
          extra.oursOverTorch = round2(median(over));
          extra.oursOverTorchRounds = over.map(round2);
          extra.oursOverTorchCpu = round2(median(t.map((q, i) => q.cpuMs / cpu[i])));
          if (side.workers === 2) extra.oursOverTorchTarget = TARGET_OVER_TORCH[a];
        }
        records.push({
          suite: suite.name,
          case: `compare net train b${BATCH} ${a}`,
          backend: 'wasm',
          impl: side.label,
          shape: SHAPE,
          ms: median(ms),
          imagesPerSec: Math.round((1000 * BATCH) / median(ms)),
          extra,
        });
      }
      if (skipped) continue;
      for (const a of ACTIVATIONS) {
        const t = theirs(a);
        const ms = t.map((q) => q.ms);
        const reluMs = theirs('relu').map((q) => q.ms);
        records.push({
          suite: suite.name,
          case: `compare net train b${BATCH} ${a}`,
          backend: 'pytorch',
          impl: `PyTorch ${torch[side.threads][0].torch}, ${side.threads} thread${side.threads > 1 ? 's' : ''}`,
          shape: [BATCH, 1, 28, 28],
          ms: median(ms),
          imagesPerSec: Math.round((1000 * BATCH) / median(ms)),
          extra: {
            roundsMs: ms.map((v) => +v.toFixed(1)),
            cpuMs: +median(t.map((q) => q.cpuMs)).toFixed(1),
            stepOverRelu: round2(median(ms.map((v, i) => v / reluMs[i]))),
          },
        });
      }
    }
    if (skipped) console.error(`bench: train.vsTorch: PyTorch skipped: ${skipped}`);
    return records;
  },
};

export default suite;
