/**
 * Fused ACON-C kernels for the `cpu` backend: one pass forward, one pass backward, in float64
 * arithmetic on float32 storage. See `kernel_names.ts` for the layout and the formulas.
 */
import type { KernelConfig, TensorInfo, TypedArray } from '@tensorflow/tfjs-core';
import { ACON_C, ACON_C_GRAD, aconCLayout, type AconCGradInputs, type AconCInputs } from './kernel_names.js';

interface CpuBackendLike {
  data: { get(dataId: object): { values: TypedArray } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

function values(backend: CpuBackendLike, t: TensorInfo): TypedArray {
  return backend.data.get(t.dataId).values;
}

export function aconCForwardCpu(args: { inputs: AconCInputs; backend: unknown }): TensorInfo {
  const backend = args.backend as CpuBackendLike;
  const { x, p1, p2, beta } = args.inputs;
  const { N, S, C, Cp, Nb, Sb, Cb } = aconCLayout(x, p1, beta);
  const xv = values(backend, x),
    p1v = values(backend, p1),
    p2v = values(backend, p2),
    bv = values(backend, beta);
  const y = new Float32Array(N * S * C);
  const pStep = Cp === 1 ? 0 : 1,
    bcStep = Cb === 1 ? 0 : 1;
  let i = 0;
  for (let n = 0; n < N; n++) {
    const bn = Nb === 1 ? 0 : n * Sb * Cb;
    for (let s = 0; s < S; s++) {
      const bs = bn + (Sb === 1 ? 0 : s * Cb);
      for (let c = 0; c < C; c++, i++) {
        const xi = xv[i],
          a = p1v[c * pStep],
          b = p2v[c * pStep];
        const z = bv[bs + c * bcStep] * (a - b) * xi;
        const e = Math.exp(-Math.abs(z));
        const r = 1 / (1 + e);
        const sg = z >= 0 ? r : e * r;
        const tg = z >= 0 ? e * r : r;
        y[i] = xi * (a * sg + b * tg);
      }
    }
  }
  return backend.makeTensorInfo(x.shape, 'float32', y);
}

export function aconCBackwardCpu(args: { inputs: AconCGradInputs; backend: unknown }): TensorInfo[] {
  const backend = args.backend as CpuBackendLike;
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
  let i = 0;
  for (let n = 0; n < N; n++) {
    const bn = Nb === 1 ? 0 : n * Sb * Cb;
    for (let s = 0; s < S; s++) {
      const bs = bn + (Sb === 1 ? 0 : s * Cb);
      for (let c = 0; c < C; c++, i++) {
        const xi = xv[i],
          g = gv[i],
          a = p1v[c * pStep],
          b = p2v[c * pStep];
        const bi = bs + c * bcStep;
        const d = (a - b) * xi;
        const z = bv[bi] * (a - b) * xi;
        const e = Math.exp(-Math.abs(z));
        const r = 1 / (1 + e);
        const sg = z >= 0 ? r : e * r;
        const tg = z >= 0 ? e * r : r;
        const st = sg * tg;
        const zst = st === 0 ? 0 : z * st;
        const k = sg + zst,
          k2 = tg - zst;
        dx[i] = g * (a * k + b * k2);
        const gx = g * xi;
        dp1[c * pStep] += gx * k;
        dp2[c * pStep] += gx * k2;
        if (st !== 0) db[bi] += g * (d * st) * d;
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
