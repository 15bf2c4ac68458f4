/**
 * ACON-C kernels on several threads (wasm backend, shared heap): one `AconC`/`AconCGrad` call on
 * x [N,S,C] is split into T contiguous parts along the outermost axis that has at least T entries
 * (N; else S; else C in blocks of 4 when p1/p2 are shared), and each part is an ordinary kernel
 * call on its sub-range of the tensors (x, y, dy, dx offset by rows; β and dβ offset too when β
 * varies along that axis). Part 0 runs on the calling thread, the others on kernel threads that
 * share the heap (`split_pool.ts`). Every element is computed by the same code as on one thread, so y and dx are
 * identical bit for bit; the parameter gradients of each part are rounded to float32 by its call
 * and summed in part order (Σ over T float32 values: within float32 rounding of the one-thread sums).
 */
import { setAconKernelSplitter, type AconBackwardArgs, type AconForwardArgs, type HeapAllocator } from '../../ops/acon/kernel_split.js';
import type { AconCLayout } from '../../ops/acon/kernel_names.js';
import type { AconExports } from '../../ops/acon/wasm.js';
import type { KernelPool } from './kernel_pool.js';
import { ranges, splitPool, splitThreads } from './split_pool.js';

/**
 * Calls on fewer elements stay on the calling thread: waking a kernel thread and waiting for it
 * costs tens of microseconds, about what 16K elements of the backward cost on one thread here.
 */
export const MIN_SPLIT_ELEMENTS = 1 << 16;

/** One part of a split call: its layout and where its x rows and β entries start (in floats). */
export interface AconPart {
  layout: AconCLayout;
  xOffset: number;
  betaOffset: number;
  /** Whether β varies along the split axis, so that the part's dβ entries are its own (else it is a partial sum). */
  ownBeta: boolean;
}

/** Splits a call into at most `parts` parts (see the module doc); one part if nothing can be split. */
export function splitAconLayout(L: AconCLayout, parts: number): AconPart[] {
  const { N, S, C, Nb, Sb, Cb } = L;
  if (N >= parts || (N > 1 && S < parts))
    return ranges(N, parts).map(([n0, n]) => ({
      layout: { ...L, N: n, Nb: Nb === N && N > 1 ? n : Nb },
      xOffset: n0 * S * C,
      betaOffset: Nb === N && N > 1 ? n0 * Sb * Cb : 0,
      ownBeta: Nb === N && N > 1,
    }));
  if (S > 1)
    return ranges(S, parts).map(([s0, s]) => ({
      layout: { ...L, N: 1, S: s, Sb: Sb === S ? s : Sb },
      xOffset: s0 * C,
      betaOffset: Sb === S ? s0 * Cb : 0,
      ownBeta: Sb === S,
    }));
  if (L.Cp !== 1 || N !== 1) return [{ layout: L, xOffset: 0, betaOffset: 0, ownBeta: true }];
  const blocks = Math.ceil(C / 4);
  return ranges(blocks, parts).map(([b0, b]) => {
    const c0 = 4 * b0,
      c = Math.min(C, 4 * (b0 + b)) - c0;
    return { layout: { ...L, C: c, Cb: Cb === C ? c : Cb }, xOffset: c0, betaOffset: Cb === C ? c0 : 0, ownBeta: Cb === C };
  });
}

const layoutArgs = (l: AconCLayout) => [l.N, l.S, l.C, l.Cp, l.Nb, l.Sb, l.Cb] as const;

/** The parts of a call on `layout` and the pool they run on, or undefined if it stays on the calling thread. */
function plan(memory: WebAssembly.Memory, layout: AconCLayout): { parts: AconPart[]; pool: KernelPool } | undefined {
  const threads = splitThreads(memory, layout.N * layout.S * layout.C, MIN_SPLIT_ELEMENTS);
  const parts = threads > 1 ? splitAconLayout(layout, threads) : [];
  return parts.length < 2 ? undefined : { parts, pool: splitPool(memory, threads) };
}

function layoutOf(args: readonly number[], at: number): AconCLayout {
  const [N, S, C, Cp, Nb, Sb, Cb] = args.slice(at, at + 7);
  return { N, S, C, Cp, Nb, Sb, Cb };
}

function forward(k: AconExports, memory: WebAssembly.Memory, args: AconForwardArgs): boolean {
  const [x, p1, p2, beta, y] = args;
  const planned = plan(memory, layoutOf(args, 5));
  if (!planned) return false;
  const calls = planned.parts.map((p): AconForwardArgs => {
    const xo = 4 * p.xOffset;
    return [x + xo, p1, p2, beta + 4 * p.betaOffset, y + xo, ...layoutArgs(p.layout), args[12]];
  });
  planned.pool.run(
    'AconC (wasm)',
    calls.map((c) => ({ fn: 'aconCForward', args: c })),
    () => k.aconCForward(...calls[0]),
  );
  return true;
}

const align16 = (n: number) => (n + 15) & ~15;

function backward(k: AconExports, memory: WebAssembly.Memory, args: AconBackwardArgs, heap: HeapAllocator): boolean {
  const [x, p1, p2, beta, dy, dx, dp1, dp2, dbeta] = args;
  const L = layoutOf(args, 10);
  const planned = plan(memory, L);
  if (!planned) return false;
  const { parts } = planned;
  const betaSize = L.Nb * L.Sb * L.Cb;
  // One block: each part's scratch, then the partial parameter gradients of parts 1….
  const scratchBytes = parts.map((p) => align16(k.aconCBackwardScratchBytes(...layoutArgs(p.layout))));
  const partialFloats = (p: AconPart) => 2 * L.Cp + (p.ownBeta ? 0 : betaSize);
  const total = scratchBytes.reduce((a, b) => a + b, 0) + parts.slice(1).reduce((a, p) => a + 4 * partialFloats(p), 0);
  const raw = heap.malloc(total + 16) >>> 0;
  if (raw === 0)
    throw new Error(`AconCGrad (wasm): out of memory allocating ${total + 16} bytes of scratch for ${parts.length} kernel threads`);
  try {
    let at = align16(raw);
    const scratch = scratchBytes.map((bytes) => (at += bytes) - bytes);
    const partials: { dp1: number; dp2: number; dbeta?: number }[] = [];
    const calls = parts.map((p, i): AconBackwardArgs => {
      const xo = 4 * p.xOffset;
      // Part 0 and every part's own dβ entries write the outputs; the other sums go to partials.
      let g1 = dp1,
        g2 = dp2,
        gb = dbeta + 4 * p.betaOffset;
      if (i > 0) {
        g1 = at;
        g2 = at + 4 * L.Cp;
        if (!p.ownBeta) gb = at + 8 * L.Cp;
        partials.push({ dp1: g1, dp2: g2, dbeta: p.ownBeta ? undefined : gb });
        at += 4 * partialFloats(p);
      }
      return [x + xo, p1, p2, beta + 4 * p.betaOffset, dy + xo, dx + xo, g1, g2, gb, scratch[i], ...layoutArgs(p.layout), args[17]];
    });
    planned.pool.run(
      'AconCGrad (wasm)',
      calls.map((c) => ({ fn: 'aconCBackward', args: c })),
      () => k.aconCBackward(...calls[0]),
    );
    const f32 = new Float32Array(memory.buffer);
    const addInto = (target: number, partial: number, n: number) => {
      const t = target >>> 2,
        s = partial >>> 2;
      for (let j = 0; j < n; j++) f32[t + j] += f32[s + j];
    };
    for (const q of partials) {
      addInto(dp1, q.dp1, L.Cp);
      addInto(dp2, q.dp2, L.Cp);
      if (q.dbeta !== undefined) addInto(dbeta, q.dbeta, betaSize);
    }
  } finally {
    heap.free(raw);
  }
  return true;
}

/** Makes the wasm ACON kernels split their calls over kernel threads (acon/node does this on import). Idempotent. */
export function installAconKernelThreads(): void {
  setAconKernelSplitter({ forward, backward });
}
