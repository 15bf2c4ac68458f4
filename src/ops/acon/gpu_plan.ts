/**
 * How the GPU kernels (`webgl.ts`, `webgpu.ts`) reduce a parameter gradient over its broadcast
 * axes without a readback: the reduced elements of every gradient entry are split into P chunks;
 * pass 1 sums each chunk (output `[P, G]`), pass 2 sums the P partials (output: the gradient's
 * shape). With P = 1 pass 1 writes the gradient directly.
 *
 * In the canonical layout (`kernel_names.ts`) a gradient of shape `[Gn, Gs, Gc]` (each 1 or x's
 * size) sums over `[Rn, Rs, Rc]` (x's size where the gradient has 1, else 1), so element
 * (n, s, c) = (on + rn, os + rs, oc + rc) for output (on, os, oc) and reduced index (rn, rs, rc).
 */
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { AconCLayout, AconGate } from './kernel_names.js';

export interface GradientReduction {
  /** Gradient dims [Gn, Gs, Gc]. */
  out: [number, number, number];
  /** Reduced dims [Rn, Rs, Rc]. */
  red: [number, number, number];
  /** Number of gradient entries (Gn·Gs·Gc) and of reduced elements per entry (Rn·Rs·Rc). */
  G: number;
  R: number;
  /** Elements summed by one pass-1 thread, and the number of chunks P = ⌈R / chunk⌉. */
  chunk: number;
  P: number;
}

/** Chunks of about √R elements balance the two passes; at least 64 so small gradients take one pass. */
export function gradientReduction(L: AconCLayout, which: 'p' | 'beta'): GradientReduction {
  const out: [number, number, number] = which === 'p' ? [1, 1, L.Cp] : [L.Nb, L.Sb, L.Cb];
  const full = [L.N, L.S, L.C];
  const red = out.map((d, i) => (d === 1 ? full[i] : 1)) as [number, number, number];
  const G = out[0] * out[1] * out[2],
    R = red[0] * red[1] * red[2];
  const chunk = R <= 256 ? R : Math.max(64, Math.ceil(Math.sqrt(R)));
  return { out, red, G, R, chunk, P: Math.ceil(R / chunk) };
}

/** A key naming every size baked into a generated shader (programs are cached by their code). */
export function layoutKey(L: AconCLayout): string {
  return [L.N, L.S, L.C, L.Cp, L.Nb, L.Sb, L.Cb].join('_');
}

/** The `gate` attribute of a kernel call (absent: sigmoid). */
export function gateOf(attrs: NamedAttrMap | undefined): AconGate {
  const gate = (attrs?.gate ?? 'sigmoid') as AconGate;
  if (gate !== 'sigmoid' && gate !== 'hardSigmoid')
    throw new Error(`AconC: unknown gate '${String(gate)}' (expected 'sigmoid' or 'hardSigmoid')`);
  return gate;
}

/** The GPU kernels take float32 only; the error names the kernel, the backend and the input. */
export function checkFloat32(kernel: string, backend: string, inputs: Record<string, TensorInfo | undefined>): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t && t.dtype !== 'float32') throw new TypeError(`${kernel} (${backend}): ${name} must be float32, got ${t.dtype}`);
  }
}
