/** Seeded pseudo-random numbers for reproducible property tests (mulberry32 + Box–Muller). */
import { mulberry32 } from '../../src/util/random.js';

export function rng(seed: number): { uniform(lo?: number, hi?: number): number; normal(): number; int(lo: number, hi: number): number } {
  const next = mulberry32(seed);
  return {
    uniform: (lo = 0, hi = 1) => lo + (hi - lo) * next(),
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
  };
}

export function randomArray(r: ReturnType<typeof rng>, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => r.normal() * scale);
}
