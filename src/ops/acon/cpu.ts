/**
 * Fused ACON-C kernels for the `cpu` backend: one pass forward, one pass backward, in float64
 * arithmetic on float32 storage. See `kernel_names.ts` for the layout, the formulas and the
 * non-finite rules (NaN in, NaN out; infinities give the limits).
 */
import type { KernelConfig, TensorInfo, TypedArray } from '@tensorflow/tfjs-core';
import { ACON_C, ACON_C_GRAD, aconCLayout, type AconCAttrs, type AconCGradInputs, type AconCInputs } from './kernel_names.js';

interface CpuBackendLike {
  data: { get(dataId: object): { values: TypedArray } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

function values(backend: CpuBackendLike, t: TensorInfo): TypedArray {
  return backend.data.get(t.dataId).values;
}

/** The gate at z: s = g(z), t = g(−z) and the slope g′(z), for σ or the hard sigmoid. */
interface Gate {
  s: number;
  t: number;
  slope: number;
}

function sigmoidGate(z: number, out: Gate): void {
  const e = Math.exp(-Math.abs(z));
  const r = 1 / (1 + e);
  out.s = z >= 0 ? r : e * r;
  out.t = z >= 0 ? e * r : r;
  out.slope = out.s * out.t;
}

/** h(z) = clip(z/6 + 1/2, 0, 1); h′ = 1/6 inside (−3, 3), 0 outside and at the kinks. */
function hardSigmoidGate(z: number, out: Gate): void {
  out.s = Math.min(1, Math.max(0, z / 6 + 0.5));
  out.t = Math.min(1, Math.max(0, 0.5 - z / 6));
  out.slope = z > -3 && z < 3 ? 1 / 6 : 0;
}

function gateOf(attrs: Partial<AconCAttrs> | undefined): (z: number, out: Gate) => void {
  const gate = attrs?.gate ?? 'sigmoid';
  if (gate === 'sigmoid') return sigmoidGate;
  if (gate === 'hardSigmoid') return hardSigmoidGate;
  throw new Error(`${ACON_C} (cpu): gate must be 'sigmoid' or 'hardSigmoid', got '${String(gate)}'`);
}

/** A product that is NaN only because an exact-zero factor met an infinite one: its limit, 0. */
const limit0 = (v: number) => (v === v ? v : 0);

/** z = β(p1 − p2)x; NaN only from 0·∞ (callers have ruled out NaN inputs), whose limit is 0. */
const preActivation = (beta: number, a: number, b: number, x: number) => limit0(beta * (a - b) * x);

export function aconCForwardCpu(args: { inputs: AconCInputs; backend: unknown; attrs?: Partial<AconCAttrs> }): TensorInfo {
  const backend = args.backend as CpuBackendLike;
  const gate = gateOf(args.attrs);
  const { x, p1, p2, beta } = args.inputs;
  const { N, S, C, Cp, Nb, Sb, Cb } = aconCLayout(x, p1, beta);
  const xv = values(backend, x),
    p1v = values(backend, p1),
    p2v = values(backend, p2),
    bv = values(backend, beta);
  const y = new Float32Array(N * S * C);
  const pStep = Cp === 1 ? 0 : 1,
    bcStep = Cb === 1 ? 0 : 1;
  const g: Gate = { s: 0, t: 0, slope: 0 };
  let i = 0;
  for (let n = 0; n < N; n++) {
    const bn = Nb === 1 ? 0 : n * Sb * Cb;
    for (let s = 0; s < S; s++) {
      const bs = bn + (Sb === 1 ? 0 : s * Cb);
      for (let c = 0; c < C; c++, i++) {
        const xi = xv[i],
          a = p1v[c * pStep],
          b = p2v[c * pStep],
          bet = bv[bs + c * bcStep];
        if (xi !== xi || a !== a || b !== b || bet !== bet) {
          y[i] = NaN;
          continue;
        }
        gate(preActivation(bet, a, b, xi), g);
        y[i] = limit0(xi * (a * g.s + b * g.t));
      }
    }
  }
  return backend.makeTensorInfo(x.shape, 'float32', y);
}

export function aconCBackwardCpu(args: { inputs: AconCGradInputs; backend: unknown; attrs?: Partial<AconCAttrs> }): TensorInfo[] {
  const backend = args.backend as CpuBackendLike;
  const gate = gateOf(args.attrs);
  const { x, p1, p2, beta, dy } = args.inputs;
  const { N, S, C, Cp, Nb, Sb, Cb } = aconCLayout(x, p1, beta);
  const xv = values(backend, x),
    p1v = values(backend, p1),
    p2v = values(backend, p2);
  const bv = values(backend, beta),
    gv = values(backend, dy);
  const dx = new Float32Array(N * S * C);
  const dp1 = new Float64Array(Cp),
    dp2 = new Float64Array(Cp),
    db = new Float64Array(Nb * Sb * Cb);
  const pStep = Cp === 1 ? 0 : 1,
    bcStep = Cb === 1 ? 0 : 1;
  const gt: Gate = { s: 0, t: 0, slope: 0 };
  let i = 0;
  for (let n = 0; n < N; n++) {
    const bn = Nb === 1 ? 0 : n * Sb * Cb;
    for (let s = 0; s < S; s++) {
      const bs = bn + (Sb === 1 ? 0 : s * Cb);
      for (let c = 0; c < C; c++, i++) {
        const xi = xv[i],
          g = gv[i],
          pc = c * pStep,
          a = p1v[pc],
          b = p2v[pc];
        const bi = bs + c * bcStep,
          bet = bv[bi];
        if (xi !== xi || g !== g || a !== a || b !== b || bet !== bet) {
          dx[i] = NaN;
          dp1[pc] = dp2[pc] = db[bi] = NaN;
          continue;
        }
        const z = preActivation(bet, a, b, xi);
        gate(z, gt);
        const zs = gt.slope === 0 ? 0 : z * gt.slope;
        const k = gt.s + zs,
          k2 = gt.t - zs;
        dx[i] = limit0(g * (a * k + b * k2));
        dp1[pc] += limit0(g * xi * k);
        dp2[pc] += limit0(g * xi * k2);
        if (gt.slope !== 0) {
          const d = (a - b) * xi;
          db[bi] += limit0(g * (d * gt.slope) * d);
        }
      }
    }
  }
  return [
    backend.makeTensorInfo(x.shape, 'float32', dx),
    backend.makeTensorInfo(p1.shape, 'float32', Float32Array.from(dp1)),
    backend.makeTensorInfo(p2.shape, 'float32', Float32Array.from(dp2)),
    backend.makeTensorInfo(beta.shape, 'float32', Float32Array.from(db)),
  ];
}

export const aconCCpuKernels: KernelConfig[] = [
  { kernelName: ACON_C, backendName: 'cpu', kernelFunc: aconCForwardCpu as unknown as KernelConfig['kernelFunc'] },
  { kernelName: ACON_C_GRAD, backendName: 'cpu', kernelFunc: aconCBackwardCpu as unknown as KernelConfig['kernelFunc'] },
];
