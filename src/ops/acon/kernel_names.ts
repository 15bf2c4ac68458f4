/**
 * Names and input contracts of the fused ACON-C kernels.
 *
 * Every ACON variant runs through these two kernels (ACON-A is p1 = 1, p2 = 0; ACON-B is
 * p1 = 1, p2 = p). The op (`op.ts`) brings the tensors into the canonical layout below, so a
 * backend kernel only ever sees rank-3 x and β:
 *
 * - `x`     float32 `[N, S, C]`   (channels-last; S is the product of the spatial axes, 1 for `[N, C]`)
 * - `p1`,`p2` float32 `[Cp]`     with Cp ∈ {1, C}
 * - `beta`  float32 `[Nb, Sb, Cb]` with Nb ∈ {1, N}, Sb ∈ {1, S}, Cb ∈ {1, C}
 * - `dy`    float32 `[N, S, C]`  (backward only)
 *
 * Forward `AconC`: y = x·(p1·σ(z) + p2·σ(−z)), z = β·(p1 − p2)·x, which equals the paper's
 * (p1 − p2)·x·σ(β(p1 − p2)x) + p2·x (Ma et al. 2021, eq. 5), gives (p1x + p2x)/2 at β = 0 and never
 * multiplies an overflowed value by 0 (the bracket is bounded by max(|p1|, |p2|)).
 *
 * Backward `AconCGrad` returns `[dx, dp1, dp2, dbeta]` in the shapes of `x`, `p1`, `p2`, `beta`,
 * each parameter gradient summed over the axes along which that parameter was broadcast. With
 * s = σ(z), t = σ(−z), k = s + z·s·t:
 *   ∂y/∂x = p1·k + p2·(1 − k),  ∂y/∂p1 = x·k,  ∂y/∂p2 = x·(1 − k),  ∂y/∂β = d²·s·t  (d = (p1 − p2)·x).
 * Terms multiplied by an exactly-zero sigmoid product contribute 0, so saturated inputs never give NaN.
 *
 * Both kernels take one attribute, `gate` (absent means `'sigmoid'`): the σ above, or
 * `'hardSigmoid'`, h(z) = clip(z/6 + 1/2, 0, 1) (nmaac/acon#2, #12: for latency). h(−z) = 1 − h(z)
 * as for σ, so the forward keeps its form with s = h(z), t = h(−z); in the backward σ′ = s·t becomes
 * h′(z) = 1/6 on −3 < z < 3 and 0 elsewhere (the kinks take 0, as PyTorch's hardsigmoid_backward):
 *   k = s + z·h′(z),  ∂y/∂β = d²·h′(z).
 *
 * Non-finite inputs (every backend, forward and backward, as PyTorch): a NaN in x, p1, p2, β (or
 * dy) makes the outputs it reaches NaN — y and dx at that element, and the parameter sums it enters.
 * Infinities give the limits: at x → ±∞ the gate that tends to 1 wins, y → p_w·x with p_w = p1
 * where z → +∞, p2 where z → −∞, (p1 + p2)/2 where β(p1 − p2) = 0, and y → 0 when p_w = 0
 * (e.g. x = −∞, p1 = 1, p2 = 0 gives 0, the limit of x·σ(x)); dx → dy·p_w; the gate's other term,
 * x·k or x·(1 − k) and d²·g′(z), decays exponentially (σ) or is exactly 0 (hard σ), so it gives 0.
 * In the kernels this is one rule: a product of an exact-zero factor (a saturated gate, p = 0,
 * dy = 0, β(p1 − p2) = 0) with an infinite one is 0, never NaN.
 */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

export const ACON_C = 'AconC';
export const ACON_C_GRAD = 'AconCGrad';

export interface AconCInputs extends NamedTensorInfoMap {
  x: TensorInfo;
  p1: TensorInfo;
  p2: TensorInfo;
  beta: TensorInfo;
}

export type AconGate = 'sigmoid' | 'hardSigmoid';

export interface AconCAttrs extends NamedAttrMap {
  gate: AconGate;
}

export interface AconCGradInputs extends AconCInputs {
  dy: TensorInfo;
}

/** Sizes of the canonical layout, read off the input shapes. */
export interface AconCLayout {
  N: number;
  S: number;
  C: number;
  /** 1 when p1/p2 are shared across channels, else C. */
  Cp: number;
  Nb: number;
  Sb: number;
  Cb: number;
}

export function aconCLayout(x: TensorInfo, p1: TensorInfo, beta: TensorInfo): AconCLayout {
  const [N, S, C] = x.shape;
  const [Nb, Sb, Cb] = beta.shape;
  return { N, S, C, Cp: p1.shape[0], Nb, Sb, Cb };
}
