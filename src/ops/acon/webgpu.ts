/**
 * Fused ACON-C kernels for the tfjs `webgpu` backend: WGSL compute programs run with
 * `backend.runWebGPUProgram` (the pattern of tfjs's `UnaryOpProgram`). The forward is one
 * dispatch; the backward is one for dx and, per parameter gradient, one or two reduction
 * dispatches (`gpu_plan.ts`) that recompute the switch from x: no readback, no stored per-element
 * terms, and no workgroup memory or subgroup operations. Layout and formulas: `kernel_names.ts`.
 *
 * As in `webgl.ts`: `exp` only on [−88, 0], 0·x = 0 (also for x = ±∞), NaN in gives NaN out.
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { checkFloat32, gateOf, gradientReduction, layoutKey, type GradientReduction } from './gpu_plan.js';
import {
  ACON_C,
  ACON_C_GRAD,
  aconCLayout,
  type AconCGradInputs,
  type AconCInputs,
  type AconCLayout,
  type AconGate,
} from './kernel_names.js';

const WORKGROUP_SIZE = 64;

/** tfjs-backend-webgpu's `WebGPUProgram` (4.x), the fields used here. */
interface WebGPUProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  size: boolean;
  getUserCode(): string;
}

/** The parts of tfjs-backend-webgpu's `WebGPUBackend` used here. */
interface WebGPUBackendLike {
  runWebGPUProgram(program: WebGPUProgram, inputs: TensorInfo[], outputDtype: 'float32'): TensorInfo;
  disposeData(dataId: object): boolean;
}

/** WGSL for one element; the same terms as `elementCode` in `webgl.ts`. */
function elementCode(gate: AconGate): string {
  const switchCode =
    gate === 'sigmoid'
      ? `let az = abs(z);
    let e = select(exp(-az), 0.0, az > 88.0);
    let r = 1.0 / (1.0 + e);
    let s = select(e * r, r, z >= 0.0);
    let t = select(r, e * r, z >= 0.0);
    let ds = s * t;`
      : `let s = clamp(z / 6.0 + 0.5, 0.0, 1.0);
    let t = clamp(0.5 - z / 6.0, 0.0, 1.0);
    let ds = select(0.0, 1.0 / 6.0, z > -3.0 && z < 3.0);`;
  return `
  fn aconIsNan(v : f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
  fn mul0(u : f32, v : f32) -> f32 { return select(u * v, 0.0, u == 0.0 || v == 0.0); }

  struct AconTerms { y : f32, grad : vec4<f32> };

  /** y and (dx, the terms of dp1, dp2 and dβ) for one element. */
  fn acon(x : f32, a : f32, b : f32, beta : f32, g : f32) -> AconTerms {
    let z = mul0(beta * (a - b), x);
    ${switchCode}
    let zds = select(z * ds, 0.0, ds == 0.0);
    let k = s + zds;
    let k2 = t - zds;
    let gx = mul0(g, x);
    let d = mul0(a - b, x);
    if (aconIsNan(x) || aconIsNan(a) || aconIsNan(b) || aconIsNan(beta) || aconIsNan(g)) {
      return AconTerms(uniforms.NAN, vec4<f32>(uniforms.NAN));
    }
    return AconTerms(mul0(x, a * s + b * t),
                     vec4<f32>(g * (a * k + b * k2), mul0(gx, k), mul0(gx, k2), mul0(mul0(g, mul0(d, ds)), d)));
  }`;
}

/** WGSL reading the inputs of element (n, s, c) at flat index `i`. */
function loadCode(L: AconCLayout): string {
  const pc = L.Cp === 1 ? '0' : 'c';
  const bn = L.Nb === 1 ? '0' : 'n',
    bs = L.Sb === 1 ? '0' : 's',
    bc = L.Cb === 1 ? '0' : 'c';
  return `let xv = x[i]; let a = p1[${pc}]; let b = p2[${pc}]; let bv = beta[(${bn} * ${L.Sb} + ${bs}) * ${L.Cb} + ${bc}];`;
}

function program(name: string, variableNames: string[], outputShape: number[], body: string, gate: AconGate): WebGPUProgram {
  const size = outputShape.reduce((a, d) => a * d, 1);
  return {
    variableNames,
    outputShape,
    shaderKey: `acon_${name}_${gate}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [Math.ceil(size / WORKGROUP_SIZE), 1, 1],
    workgroupSize: [WORKGROUP_SIZE, 1, 1],
    size: true,
    getUserCode: () => `${elementCode(gate)}
  fn main(index : i32) {
    if (index < uniforms.size) {
      ${body}
    }
  }`,
  };
}

function elementwiseProgram(L: AconCLayout, gate: AconGate, output: 'y' | 'dx'): WebGPUProgram {
  const inputs = output === 'y' ? ['x', 'p1', 'p2', 'beta'] : ['x', 'p1', 'p2', 'beta', 'dy'];
  const value = output === 'y' ? 'acon(xv, a, b, bv, 0.0).y' : 'acon(xv, a, b, bv, dy[i]).grad.x';
  return program(
    `${output}_${layoutKey(L)}`,
    inputs,
    [L.N, L.S, L.C],
    `let i = index;
      let c = i % ${L.C}; let s = (i / ${L.C}) % ${L.S}; let n = i / ${L.S * L.C};
      ${loadCode(L)}
      setOutputAtIndex(index, ${value});`,
    gate,
  );
}

/**
 * Pass 1: entry `o` of the gradient, chunk `p`: the sum of one term (component `which` of `grad`)
 * over reduced elements [p·chunk, min(R, (p+1)·chunk)). Output `[P, G]` (flat p·G + o), or the
 * gradient's own shape when P = 1.
 */
function termSumProgram(
  L: AconCLayout,
  gate: AconGate,
  plan: GradientReduction,
  which: 'y' | 'z' | 'w',
  outputShape: number[],
): WebGPUProgram {
  const [, Gs, Gc] = plan.out,
    [, Rs, Rc] = plan.red;
  return program(
    `sum_${which}_${layoutKey(L)}_${plan.chunk}_${plan.P}`,
    ['x', 'p1', 'p2', 'beta', 'dy'],
    outputShape,
    `let p = index / ${plan.G}; let o = index % ${plan.G};
      let on = o / ${Gs * Gc}; let os = (o / ${Gc}) % ${Gs}; let oc = o % ${Gc};
      var sum = 0.0;
      let start = p * ${plan.chunk};
      for (var j = 0; j < ${plan.chunk}; j++) {
        let r = start + j;
        if (r >= ${plan.R}) { break; }
        let n = on + r / ${Rs * Rc}; let s = os + (r / ${Rc}) % ${Rs}; let c = oc + r % ${Rc};
        let i = (n * ${L.S} + s) * ${L.C} + c;
        ${loadCode(L)}
        sum = sum + acon(xv, a, b, bv, dy[i]).grad.${which};
      }
      setOutputAtIndex(index, sum);`,
    gate,
  );
}

/** Pass 2: the sum over the P partials of each entry, in the gradient's shape. */
function partialSumProgram(plan: GradientReduction, outputShape: number[], gate: AconGate): WebGPUProgram {
  return program(
    `partials_${plan.G}_${plan.P}`,
    ['partials'],
    outputShape,
    `var sum = 0.0;
      for (var p = 0; p < ${plan.P}; p++) { sum = sum + partials[p * ${plan.G} + index]; }
      setOutputAtIndex(index, sum);`,
    gate,
  );
}

function reduceTerm(
  backend: WebGPUBackendLike,
  inputs: TensorInfo[],
  L: AconCLayout,
  gate: AconGate,
  plan: GradientReduction,
  which: 'y' | 'z' | 'w',
  shape: number[],
): TensorInfo {
  if (plan.P === 1) return backend.runWebGPUProgram(termSumProgram(L, gate, plan, which, shape), inputs, 'float32');
  const partials = backend.runWebGPUProgram(termSumProgram(L, gate, plan, which, [plan.P, plan.G]), inputs, 'float32');
  const out = backend.runWebGPUProgram(partialSumProgram(plan, shape, gate), [partials], 'float32');
  backend.disposeData(partials.dataId);
  return out;
}

function aconCForwardWebGPU(args: { inputs: AconCInputs; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const backend = args.backend as WebGPUBackendLike;
  const { x, p1, p2, beta } = args.inputs;
  checkFloat32(ACON_C, 'webgpu', args.inputs);
  const L = aconCLayout(x, p1, beta);
  return backend.runWebGPUProgram(elementwiseProgram(L, gateOf(args.attrs), 'y'), [x, p1, p2, beta], 'float32');
}

function aconCBackwardWebGPU(args: { inputs: AconCGradInputs; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] {
  const backend = args.backend as WebGPUBackendLike;
  const { x, p1, p2, beta, dy } = args.inputs;
  checkFloat32(ACON_C_GRAD, 'webgpu', args.inputs);
  const L = aconCLayout(x, p1, beta);
  const gate = gateOf(args.attrs);
  const inputs = [x, p1, p2, beta, dy];
  const pPlan = gradientReduction(L, 'p'),
    bPlan = gradientReduction(L, 'beta');
  return [
    backend.runWebGPUProgram(elementwiseProgram(L, gate, 'dx'), inputs, 'float32'),
    reduceTerm(backend, inputs, L, gate, pPlan, 'y', p1.shape),
    reduceTerm(backend, inputs, L, gate, pPlan, 'z', p2.shape),
    reduceTerm(backend, inputs, L, gate, bPlan, 'w', beta.shape),
  ];
}

/** `AconC` and `AconCGrad` for `webgpu`, registered by `register.ts` (the backend package itself is not imported). */
export const aconCWebGPUKernels: KernelConfig[] = [
  { kernelName: ACON_C, backendName: 'webgpu', kernelFunc: aconCForwardWebGPU as unknown as KernelFunc },
  { kernelName: ACON_C_GRAD, backendName: 'webgpu', kernelFunc: aconCBackwardWebGPU as unknown as KernelFunc },
];
