/**
 * The ACON ops against their PyTorch twins (#12's op targets), side by side in one run: ours on
 * `wasm` with acon/node's training kernels registered (ops.aconC with either gate; backward through tf.grads, all four gradients; the fused
 * kernels alone; MetaAconC in training mode with its generator, every gradient) and, through
 * `bench/torch_ops.py` with Debian's python3-torch, the official nmaac/acon AconC and MetaAconC and
 * the native SiLU. Both sides run at 1 and at 2 threads: ours with 1 and 2 kernel threads
 * (`setKernelThreads`, alternating call by call), PyTorch with `torch.set_num_threads`. Rounds
 * alternate ours / PyTorch-1 / PyTorch-2; every record carries the per-round ratios at the same
 * thread count and their median (`torchTOverOursT` = torch ms / ours ms at T threads: ≥ 3 is the
 * target for the fused op, ≤ 1.5 ours-over-SiLU for the forward), and a probe of how much of a
 * second core the machine gave at that moment. Skips PyTorch, saying so, when it is absent.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import { MetaAconC, ops } from '../src/index.js';
import { registerTrainingKernels } from '../src/node/kernels/index.js';
// As acon/node does on import: the wasm backend on a shared heap, the ACON kernels on kernel threads.
import '../src/node/register.js';
import { setKernelThreads } from '../src/node/threads/kernel_threads.js';
import { shareWasmBackendHeap } from '../src/node/threads/shared_heap.js';
import { isSharedMemory } from '../src/wasm/kernel_module.js';
import { ACON_C, ACON_C_GRAD } from '../src/ops/acon/kernel_names.js';
import type { BenchRecord, BenchSuite } from './harness.js';

/** NHWC shapes of #12. */
const SHAPES: [number, number, number, number][] = [
  [64, 28, 28, 32],
  [256, 14, 14, 64],
];

/** Thread counts of both sides. */
const THREADS = [1, 2] as const;
type Threads = (typeof THREADS)[number];

/** Wall and process-CPU milliseconds of one case (all threads' CPU), per kernel-thread count. */
type Timed = Record<string, Record<Threads, { ms: number; cpuMs: number }>>;

/**
 * Median wall and CPU time per call of `fn` at 1 and 2 kernel threads, alternating call by call;
 * outputs are disposed. wasm kernels run synchronously inside the call, so nothing is read back
 * (PyTorch's side does not read back either). At one thread CPU time is what a loaded machine
 * distorts least.
 */
function timeBoth(fn: () => tf.Tensor | tf.Tensor[], iters: number): Record<Threads, { ms: number; cpuMs: number }> {
  const wall: Record<Threads, number[]> = { 1: [], 2: [] },
    cpu: Record<Threads, number[]> = { 1: [], 2: [] };
  for (let i = 0; i < 3 + iters; i++)
    for (const t of THREADS) {
      setKernelThreads(t);
      const t0 = performance.now(),
        c0 = process.cpuUsage();
      const out = fn();
      const c = process.cpuUsage(c0);
      if (i >= 3) {
        wall[t].push(performance.now() - t0);
        cpu[t].push((c.user + c.system) / 1000);
      }
      tf.dispose(out);
    }
  setKernelThreads(undefined);
  return { 1: { ms: median(wall[1]), cpuMs: median(cpu[1]) }, 2: { ms: median(wall[2]), cpuMs: median(cpu[2]) } };
}

/**
 * How many cores the machine gives two busy threads now: 2 × (one thread's time for a fixed
 * amount of arithmetic) / (the time for that amount on each of two threads at once). 2 on an idle
 * 2-core machine, 1 when the other processes leave a single core's worth.
 */
async function secondCoreProbe(): Promise<number> {
  const { Worker } = await import('node:worker_threads');
  const spin = `let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i); return s;`;
  const work = new Function('n', spin) as (n: number) => number;
  const w = new Worker(
    `const { parentPort } = require('node:worker_threads'); const work = new Function('n', ${JSON.stringify(spin)}); parentPort.on('message', (n) => parentPort.postMessage(work(n)));`,
    { eval: true },
  );
  const onWorker = (n: number) => new Promise((res) => (w.once('message', res), w.postMessage(n)));
  await onWorker(1e6);
  const n = 5e7,
    ratios: number[] = [];
  for (let r = 0; r < 3; r++) {
    let t0 = performance.now();
    work(n);
    const one = performance.now() - t0;
    t0 = performance.now();
    const other = onWorker(n);
    work(n);
    await other;
    ratios.push((2 * one) / (performance.now() - t0));
  }
  await w.terminate();
  return +median(ratios).toFixed(2);
}

async function ours(shape: number[], iters: number): Promise<Timed> {
  const [N, , , C] = shape;
  const x = tf.randomNormal(shape, 0, 2, 'float32', 1),
    dy = tf.randomNormal(shape, 0, 1, 'float32', 2);
  const p1 = tf.randomUniform([C], 0.5, 1.5, 'float32', 3),
    p2 = tf.randomUniform([C], -0.5, 0.5, 'float32', 4),
    beta = tf.ones([C]);
  const out: Timed = {};
  for (const gate of ['sigmoid', 'hardSigmoid'] as const) {
    const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => ops.aconC(a, b, c, d, { gate });
    const g = tf.grads(f);
    out[`AconC/${gate}/forward`] = timeBoth(() => tf.tidy(() => f(x, p1, p2, beta)), iters);
    out[`AconC/${gate}/forward+backward`] = timeBoth(() => g([x, p1, p2, beta], dy), iters);
    out[`AconC/${gate}/kernels forward+backward`] = timeBoth(() => {
      const x3 = tf.reshape(x, [N, -1, C]),
        b3 = tf.reshape(beta, [1, 1, C]);
      const y = tf.engine().runKernel(ACON_C, { x: x3, p1, p2, beta: b3 }, { gate }) as tf.Tensor;
      const grads = tf
        .engine()
        .runKernel(ACON_C_GRAD, { x: x3, p1, p2, beta: b3, dy: tf.reshape(dy, [N, -1, C]) }, { gate }) as tf.Tensor[];
      return [y, ...grads];
    }, iters);
  }
  // Meta-ACON's share that is the fused kernels: AconC + AconCGrad with a per-sample β [N,1,C].
  const metaBeta = tf.randomUniform([N, 1, C], 0, 1, 'float32', 5);
  out['MetaAconC/sigmoid/kernels forward+backward'] = timeBoth(() => {
    const x3 = tf.reshape(x, [N, -1, C]);
    const y = tf.engine().runKernel(ACON_C, { x: x3, p1, p2, beta: metaBeta }) as tf.Tensor;
    const grads = tf.engine().runKernel(ACON_C_GRAD, { x: x3, p1, p2, beta: metaBeta, dy: tf.reshape(dy, [N, -1, C]) }) as tf.Tensor[];
    return [y, ...grads];
  }, iters);
  metaBeta.dispose();
  const layer = new MetaAconC({ r: 16 });
  tf.dispose(layer.apply(x) as tf.Tensor);
  const xv = tf.variable(x);
  out['MetaAconC/sigmoid/forward'] = timeBoth(() => tf.tidy(() => layer.apply(x, { training: true }) as tf.Tensor), iters);
  out['MetaAconC/sigmoid/forward+backward'] = timeBoth(() => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(xv, { training: true }) as tf.Tensor, dy)));
    return [value, ...Object.values(grads)];
  }, iters);
  // The same gradients with dy handed to the backward, as PyTorch's module(x).backward(dy) does
  // (the case above also runs the loss y·dy, its sum and their gradients: four x-sized ops).
  const metaVars = [xv, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
  out['MetaAconC/sigmoid/forward+backward (dy given)'] = timeBoth(() => {
    const { value, grads } = tf.engine().gradients(() => layer.apply(xv, { training: true }) as tf.Tensor, metaVars, dy);
    return [value, ...grads];
  }, iters);
  tf.dispose([x, dy, p1, p2, beta, xv]);
  layer.dispose();
  return out;
}

interface TorchRun {
  torch: string;
  threads: number;
  records: { module: string; case: string; shape: number[]; ms: number; cpuMs: number }[];
}

/** PyTorch's timings at `threads`, or the reason it could not run. */
function torchRun(threads: number, iters: number): TorchRun | string {
  const specs = SHAPES.map(([n, h, w, c]) => `${n},${c},${h},${w}`);
  try {
    const out = execFileSync(
      existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3',
      [fileURLToPath(new URL('./torch_ops.py', import.meta.url)), String(threads), String(iters), ...specs],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 },
    );
    return JSON.parse(out) as TorchRun;
  } catch (err) {
    const msg = String((err as { stderr?: string }).stderr || (err as Error).message);
    return /No module named .?torch/.test(msg)
      ? 'PyTorch not installed (apt-get install python3-torch)'
      : `python3 failed: ${msg.trim().split('\n').pop()}`;
  }
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

const suite: BenchSuite = {
  name: 'ops.vsTorch',
  async run({ quick }) {
    const prev = tf.getBackend() as string | undefined;
    // A suite that ran before may have initialised wasm on a private heap (before acon/node's import).
    shareWasmBackendHeap({ restart: true });
    if (!(await tf.setBackend('wasm'))) throw new Error('ops.vsTorch: backend wasm unavailable');
    await tf.ready();
    // As in Node with `acon/node`: its kernels include the zero-copy Identity that the tape's clones use.
    registerTrainingKernels();
    const rounds = quick ? 1 : 3,
      iters = quick ? 5 : 11;
    const heapShared = isSharedMemory((tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } }).wasm.asm.memory);
    if (!heapShared) console.error('bench: ops.vsTorch: the wasm heap is not shared, so ours at 2 kernel threads runs on one');
    const oursRounds: Timed[][] = [];
    const torchRounds: Record<number, TorchRun[]> = { 1: [], 2: [] };
    const secondCore: number[] = [];
    let skipped: string | undefined;
    for (let r = 0; r < rounds; r++) {
      secondCore.push(await secondCoreProbe());
      const round: Timed[] = [];
      for (const shape of SHAPES) round.push(await ours(shape, iters));
      oursRounds.push(round);
      for (const threads of THREADS) {
        if (skipped) continue;
        const t = torchRun(threads, iters);
        if (typeof t === 'string') skipped = t;
        else torchRounds[threads].push(t);
      }
    }
    const records: BenchRecord[] = [
      {
        suite: suite.name,
        case: 'cores given to two busy threads (2 = an idle 2-core machine)',
        backend: 'node',
        impl: 'probe',
        extra: { rounds: secondCore, median: median(secondCore), heapShared },
      },
    ];
    SHAPES.forEach((shape, si) => {
      const torchShape = [shape[0], shape[3], shape[1], shape[2]];
      const torchRecord = (threads: number, module: string, kase: string) =>
        torchRounds[threads].map((t) => t.records.find((q) => q.module === module && q.case === kase && `${q.shape}` === `${torchShape}`)!);
      const torchMs = (threads: number, module: string, kase: string) => torchRecord(threads, module, kase).map((q) => q.ms);
      const torchCpuMs = (module: string, kase: string) => torchRecord(1, module, kase).map((q) => q.cpuMs);
      for (const key of Object.keys(oursRounds[0][si]))
        for (const T of THREADS) {
          const [module, gate, kase] = key.split('/');
          const mine = oursRounds.map((round) => round[si][key][T].ms);
          const mineCpu = oursRounds.map((round) => round[si][key][T].cpuMs);
          const extra: Record<string, unknown> = {
            gate,
            kernelThreads: T,
            roundsMs: mine.map((v) => +v.toFixed(2)),
            cpuMs: +median(mineCpu).toFixed(2),
          };
          if (T === 2) {
            const one = oursRounds.map((round) => round[si][key][1].ms);
            extra.ours1OverOurs2 = +median(one.map((v, i) => v / mine[i])).toFixed(2);
          }
          if (!skipped) {
            const twinCase = kase.replace('kernels ', '').replace(' (dy given)', '');
            // PyTorch at the same thread count (the target), and at the other one for reference.
            for (const threads of THREADS) {
              const theirs = torchMs(threads, module, twinCase);
              const ratios = theirs.map((t, i) => t / mine[i]);
              extra[`torch${threads}Ms`] = +median(theirs).toFixed(2);
              extra[`torch${threads}OverOurs${T}`] = +median(ratios).toFixed(2);
              if (threads === T) extra[`torch${threads}OverOurs${T}Rounds`] = ratios.map((v) => +v.toFixed(2));
            }
            if (T === 1) {
              // At one thread, also in CPU time (ours and PyTorch's process time), which the machine's load distorts least.
              const theirsCpu = torchCpuMs(module, twinCase);
              extra.torch1CpuMs = +median(theirsCpu).toFixed(2);
              extra.torch1CpuOverOurs1 = +median(theirsCpu.map((t, i) => t / mineCpu[i])).toFixed(2);
              if (module === 'AconC' && kase === 'forward') {
                const siluCpu = torchCpuMs('SiLU', 'forward');
                extra.oursOverSiLU1Cpu = +median(mineCpu.map((m, i) => m / siluCpu[i])).toFixed(2);
              }
            }
            if (module === 'AconC' && (kase === 'forward' || kase === 'forward+backward')) {
              const silu = torchMs(T, 'SiLU', kase);
              extra[`oursOverSiLU${T}`] = +median(mine.map((m, i) => m / silu[i])).toFixed(2);
            }
          } else extra.torch = `skipped: ${skipped}`;
          records.push({
            suite: suite.name,
            case: `${module} ${kase}`,
            backend: 'wasm',
            impl: `ours threads=${T}`,
            shape,
            ms: median(mine),
            extra,
          });
        }
      if (!skipped)
        for (const threads of [1, 2])
          for (const module of ['AconC', 'MetaAconC', 'SiLU'])
            for (const kase of ['forward', 'forward+backward'])
              records.push({
                suite: suite.name,
                case: `${module} ${kase}`,
                backend: 'pytorch',
                impl: `threads=${threads}`,
                shape: torchShape,
                ms: median(torchMs(threads, module, kase)),
                extra: {
                  torch: torchRounds[threads][0].torch,
                  cpuMs: +median(torchRecord(threads, module, kase).map((q) => q.cpuMs)).toFixed(2),
                },
              });
    });
    if (skipped) console.error(`bench: ops.vsTorch: PyTorch twins skipped: ${skipped}`);
    if (prev) await tf.setBackend(prev);
    return records;
  },
};

export default suite;
