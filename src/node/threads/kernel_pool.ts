/**
 * Kernel threads: worker threads that each hold an instance of some WebAssembly kernel modules on a
 * shared `WebAssembly.Memory` (the tfjs wasm heap), so that a kernel call can be split into parts
 * that run at the same time on the calling thread and on the workers, in place on the tensors.
 *
 * A call is signalled through shared counters only (`Atomics.wait`/`notify`, no event loop and no
 * message per call): the arguments go into the worker's shared slot, the request counter is bumped,
 * and the caller blocks on the done counter after running its own part. A worker that throws
 * reports its message through a port that is read only then. Workers are `unref`'d: they never
 * keep the process alive, and they are terminated when the pool shrinks or is closed.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

/** Control words of a worker's slot (Int32 indices), then the call: export index, argument count, arguments (Float64). */
const REQUEST = 0,
  DONE = 1,
  STATUS = 2,
  CONTROL_BYTES = 16,
  MAX_ARGS = 30;

/** The worker: instantiates the modules on the memory, then serves calls forever. CommonJS, evaluated. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { memory, modules, control, port, names } = workerData;
const ctl = new Int32Array(control, 0, 4), call = new Float64Array(control, ${CONTROL_BYTES});
let fns, bootError;
try {
  const all = modules.map((m) => new WebAssembly.Instance(m, { env: { memory } }).exports);
  fns = names.map((n) => {
    const ex = all.find((e) => typeof e[n] === 'function');
    if (!ex) throw new Error('no kernel module exports ' + n);
    return ex[n];
  });
} catch (e) { bootError = e; }
for (let seen = 0; ; ) {
  Atomics.wait(ctl, ${REQUEST}, seen);
  const req = Atomics.load(ctl, ${REQUEST});
  if (req === seen) continue;
  seen = req;
  let status = 0;
  try {
    if (bootError) throw bootError;
    const n = call[1];
    fns[call[0]](...Array.from(call.subarray(2, 2 + n)));
  } catch (e) {
    status = 1;
    port.postMessage(String((e && e.stack) || e));
  }
  Atomics.store(ctl, ${STATUS}, status);
  Atomics.store(ctl, ${DONE}, seen);
  Atomics.notify(ctl, ${DONE});
}
`;

/** How long a caller waits for a kernel thread before it concludes the thread is gone. */
const PATIENCE_MS = 60_000;

class KernelThread {
  readonly worker: Worker;
  private readonly ctl: Int32Array;
  private readonly call: Float64Array;
  private readonly port: MessagePort;
  private sent = 0;

  constructor(memory: WebAssembly.Memory, modules: readonly WebAssembly.Module[], names: readonly string[]) {
    const control = new SharedArrayBuffer(CONTROL_BYTES + 8 * (2 + MAX_ARGS));
    this.ctl = new Int32Array(control, 0, 4);
    this.call = new Float64Array(control, CONTROL_BYTES);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { memory, modules, control, port: port2, names },
      transferList: [port2],
      name: 'acon kernel thread',
    });
    this.worker.unref();
    port1.unref();
  }

  start(fn: number, args: readonly number[]): void {
    if (args.length > MAX_ARGS) throw new Error(`acon kernel threads: ${args.length} arguments, at most ${MAX_ARGS}`);
    this.call[0] = fn;
    this.call[1] = args.length;
    this.call.set(args, 2);
    Atomics.store(this.ctl, REQUEST, ++this.sent);
    Atomics.notify(this.ctl, REQUEST);
  }

  /** Blocks until the call started last has finished; its error message, or undefined. */
  finish(): string | undefined {
    const deadline = performance.now() + PATIENCE_MS;
    for (;;) {
      const done = Atomics.load(this.ctl, DONE);
      if (done === this.sent) break;
      const left = deadline - performance.now();
      if (left <= 0) return `no answer within ${PATIENCE_MS / 1000} s (the kernel thread has stopped)`;
      Atomics.wait(this.ctl, DONE, done, left);
    }
    if (Atomics.load(this.ctl, STATUS) === 0) return undefined;
    return String(receiveMessageOnPort(this.port)?.message ?? 'unknown error');
  }
}

/** One part of a split kernel call: the export's name (one of the pool's `names`) and its arguments. */
export interface KernelPart {
  fn: string;
  args: readonly number[];
}

export class KernelPool {
  private threads: KernelThread[] = [];
  private readonly index: Map<string, number>;

  /** `names`: the exports of `modules` that calls may use (each from the first module that has it). */
  constructor(
    readonly memory: WebAssembly.Memory,
    readonly modules: readonly WebAssembly.Module[],
    private readonly names: readonly string[],
  ) {
    this.index = new Map(names.map((n, i) => [n, i]));
  }

  /** Number of worker threads (the calling thread is not counted). */
  get size(): number {
    return this.threads.length;
  }

  /** Starts or terminates workers so that there are `n`. */
  resize(n: number): void {
    while (this.threads.length < n) this.threads.push(new KernelThread(this.memory, this.modules, this.names));
    for (const t of this.threads.splice(n)) void t.worker.terminate();
  }

  /**
   * Runs `parts[1…]` on workers 0…, then `own()` on the calling thread, then waits for every worker.
   * A worker's error, or own()'s, is thrown after all parts have finished (the memory they write is
   * then quiet), as an Error naming `kernel` and the thread.
   */
  run(kernel: string, parts: readonly KernelPart[], own: () => void): void {
    if (parts.length - 1 > this.threads.length)
      throw new Error(`${kernel}: ${parts.length} parts for ${this.threads.length + 1} kernel threads`);
    const fns = parts.map((p) => {
      const fn = this.index.get(p.fn);
      if (fn === undefined) throw new Error(`${kernel}: the kernel threads have no export ${p.fn}`);
      return fn;
    });
    for (let i = 1; i < parts.length; i++) this.threads[i - 1].start(fns[i], parts[i].args);
    let ownError: unknown;
    try {
      own();
    } catch (e) {
      ownError = e;
    }
    const failures: string[] = [];
    for (let i = 1; i < parts.length; i++) {
      const msg = this.threads[i - 1].finish();
      if (msg) failures.push(`kernel thread ${i}: ${msg}`);
    }
    if (ownError) throw ownError;
    if (failures.length) throw new Error(`${kernel}: ${failures.join('; ')}`);
  }

  /** Terminates every worker. */
  async close(): Promise<void> {
    await Promise.all(this.threads.splice(0).map((t) => t.worker.terminate()));
  }
}
