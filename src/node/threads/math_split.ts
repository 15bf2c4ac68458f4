/**
 * The elementwise `binary` SIMD kernel (`simd/binary.as.ts`: Add/Sub/Multiply/RealDiv with one
 * operand broadcast) on several threads (wasm backend, shared heap): a call is split into contiguous
 * parts along its outer axis (with one outer entry, along the middle axis, or along the inner axis
 * in blocks of 4 when nothing is broadcast), and each part is an ordinary call on its sub-range,
 * part 0 on the calling thread. Each output element is computed by the same code as on one thread:
 * results are identical bit for bit. The reductions (`sumAxis`) stay on one thread: split the same
 * way, `Mean` over H,W of [64,28,28,32] measured no faster on 2 threads than on 1 (docs/performance.md).
 */
import { simd, type Heap } from '../kernels/heap.js';
import { ranges, splitPool, splitThreads } from './split_pool.js';

/**
 * Calls on fewer elements stay on the calling thread. These kernels move memory more than they
 * compute (about 1 ns per element here), so the call must be larger than an ACON call to repay
 * waking a kernel thread.
 */
export const MIN_MATH_SPLIT_ELEMENTS = 1 << 17;

type Part = readonly number[];

/** `out[o, m, i] = a[o, m, i] op v[o, i]` (or `v op a` when `vFirst`); pointers are byte offsets. See binary.as.ts. */
export function binaryOnThreads(
  heap: Heap,
  op: number,
  a: number,
  v: number,
  out: number,
  outer: number,
  mid: number,
  inner: number,
  vFirst: boolean,
): void {
  const k = simd(heap);
  const threads = splitThreads(heap.memory, outer * mid * inner, MIN_MATH_SPLIT_ELEMENTS);
  let calls: Part[] = [];
  if (threads > 1 && outer > 1)
    calls = ranges(outer, threads).map(([o0, o]) => {
      const at = 4 * o0 * mid * inner;
      return [op, a + at, v + 4 * o0 * inner, out + at, o, mid, inner, vFirst ? 1 : 0];
    });
  else if (threads > 1 && mid > 1)
    calls = ranges(mid, threads).map(([m0, m]) => {
      const at = 4 * m0 * inner;
      return [op, a + at, v, out + at, 1, m, inner, vFirst ? 1 : 0];
    });
  else if (threads > 1)
    calls = ranges(Math.ceil(inner / 4), threads).map(([b0, b]) => {
      const at = 16 * b0;
      return [op, a + at, v + at, out + at, 1, 1, Math.min(inner, 4 * (b0 + b)) - 4 * b0, vFirst ? 1 : 0];
    });
  if (calls.length < 2) return k.binary(op, a, v, out, outer, mid, inner, vFirst);
  splitPool(heap.memory, threads).run(
    'binary (wasm)',
    calls.map((args) => ({ fn: 'binary', args })),
    () => {
      const c = calls[0];
      k.binary(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7] === 1);
    },
  );
}
