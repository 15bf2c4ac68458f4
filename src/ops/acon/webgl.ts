/**
 * Fused ACON-C kernels for the tfjs `webgl` backend: GLSL programs run with
 * `backend.runWebGLProgram` (as tfjs's own unary/binary ops and PReLU). The forward is one pass;
 * the backward is one pass for dx and a two-pass reduction (`gpu_plan.ts`) whose packed first
 * pass sums dp1, dp2 and dβ together from x, so nothing is read back to the CPU and no
 * per-element gradient term is stored (a second first pass for dβ only when β reduces over other
 * axes than p1/p2). Layout and formulas: `kernel_names.ts`.
 *
 * GLSL promises no IEEE behaviour (SwiftShader and real GPUs differ), so the shader never calls
 * `exp` outside [−88, 0], treats 0·x as 0 (the limit of every product here, also for x = ±∞) and
 * returns NaN explicitly where an input is NaN.
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { checkFloat32, gateOf, gradientReduction, type GradientReduction } from './gpu_plan.js';
import {
  ACON_C,
  ACON_C_GRAD,
  aconCLayout,
  type AconCGradInputs,
  type AconCInputs,
  type AconCLayout,
  type AconGate,
} from './kernel_names.js';

/** tfjs-backend-webgl's `GPGPUProgram` (4.x), the fields used here. */
interface WebGLProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
}

/** The parts of tfjs-backend-webgl's `MathBackendWebGL` used here. */
interface WebGLBackendLike {
  runWebGLProgram(
    program: WebGLProgram,
    inputs: TensorInfo[],
    outputDtype: 'float32',
    customUniformValues?: number[][],
    preventEagerUnpackingOfOutput?: boolean,
  ): TensorInfo;
  disposeIntermediateTensorInfo(info: TensorInfo): void;
}

/**
 * GLSL for one element: z = β(p1 − p2)x, s = gate(z), t = gate(−z), ds = gate′(z)
 * (σ′ = s·t; h′ = 1/6 on (−3, 3)), and the forward / backward terms built from them.
 */
function elementCode(gate: AconGate): string {
  const switchCode =
    gate === 'sigmoid'
      ? `float az = abs(z);
    float e = az > 88.0 ? 0.0 : exp(-az);
    float r = 1.0 / (1.0 + e);
    float s = z >= 0.0 ? r : e * r;
    float t = z >= 0.0 ? e * r : r;
    float ds = s * t;`
      : `float s = clamp(z / 6.0 + 0.5, 0.0, 1.0);
    float t = clamp(0.5 - z / 6.0, 0.0, 1.0);
    float ds = (z > -3.0 && z < 3.0) ? 1.0 / 6.0 : 0.0;`;
  return `
  float mul0(float u, float v) { return (u == 0.0 || v == 0.0) ? 0.0 : u * v; }
  bool anyNan(float x, float a, float b, float beta) { return isnan(x) || isnan(a) || isnan(b) || isnan(beta); }

  /** (y, dx, the terms of dp1, dp2 and dβ) for one element. */
  void acon(float x, float a, float b, float beta, float g, out float y, out vec4 grad) {
    float z = mul0(beta * (a - b), x);
    ${switchCode}
    y = mul0(x, a * s + b * t);
    float zds = ds == 0.0 ? 0.0 : z * ds;
    float k = s + zds, k2 = t - zds;
    float gx = mul0(g, x);
    float d = mul0(a - b, x);
    grad = vec4(g * (a * k + b * k2), mul0(gx, k), mul0(gx, k2), mul0(mul0(g, mul0(d, ds)), d));
    if (anyNan(x, a, b, beta) || isnan(g)) {
      y = NAN;
      grad = vec4(NAN);
    }
  }`;
}

/**
 * GLSL reading the inputs of element (n, s, c): x and dy from the output's own coordinates where
 * the program's output is x-shaped; the parameters (p1, p2, β) unless `hoisted` already read them.
 */
function loadCode(L: AconCLayout, xy: 'atOut' | 'indexed', hoisted = { p: false, beta: false }): string {
  const pc = L.Cp === 1 ? '0' : 'c';
  const bIdx = [L.Nb === 1 ? '0' : 'n', L.Sb === 1 ? '0' : 's', L.Cb === 1 ? '0' : 'c'].join(', ');
  return [
    xy === 'atOut' ? 'float x = getXAtOutCoords();' : 'float x = getX(n, s, c);',
    hoisted.p ? '' : `float a = getP1(${pc}); float b = getP2(${pc});`,
    hoisted.beta ? '' : `float beta = getBeta(${bIdx});`,
  ].join(' ');
}

function forwardProgram(L: AconCLayout, gate: AconGate): WebGLProgram {
  return {
    variableNames: ['x', 'p1', 'p2', 'beta'],
    outputShape: [L.N, L.S, L.C],
    userCode: `${elementCode(gate)}
  void main() {
    ivec3 o = getOutputCoords();
    int n = o.x, s = o.y, c = o.z;
    ${loadCode(L, 'atOut')}
    float y; vec4 grad;
    acon(x, a, b, beta, 0.0, y, grad);
    setOutput(y);
  }`,
  };
}

function dxProgram(L: AconCLayout, gate: AconGate): WebGLProgram {
  return {
    variableNames: ['x', 'p1', 'p2', 'beta', 'dy'],
    outputShape: [L.N, L.S, L.C],
    userCode: `${elementCode(gate)}
  void main() {
    ivec3 o = getOutputCoords();
    int n = o.x, s = o.y, c = o.z;
    ${loadCode(L, 'atOut')}
    float y; vec4 grad;
    acon(x, a, b, beta, getDyAtOutCoords(), y, grad);
    setOutput(grad.x);
  }`,
  };
}

/**
 * Pass 1 for the gradients that share one reduction `plan`: the texel of gradient entry o and
 * chunk p sums, over reduced elements [p·chunk, min(R, (p+1)·chunk)), the terms `grad.yzw`
 * (dp1, dp2, dβ) into one vec4, so the switch is computed once per element for all of them. The
 * output is packed: logical shape [2P, 2G], texel (p, o) = its 2×2 block at (2p, 2o). Parameters
 * that do not vary over the reduced elements are read once, outside the loop.
 */
function termSumProgram(L: AconCLayout, gate: AconGate, plan: GradientReduction): WebGLProgram & { packedOutput: boolean } {
  const [, Gs, Gc] = plan.out,
    [Rn, Rs, Rc] = plan.red;
  const hoisted = {
    p: L.Cp === 1 || Rc === 1,
    beta: (L.Nb === 1 || Rn === 1) && (L.Sb === 1 || Rs === 1) && (L.Cb === 1 || Rc === 1),
  };
  const pc = L.Cp === 1 ? '0' : 'oc';
  const bIdx = [L.Nb === 1 ? '0' : 'on', L.Sb === 1 ? '0' : 'os', L.Cb === 1 ? '0' : 'oc'].join(', ');
  return {
    variableNames: ['x', 'p1', 'p2', 'beta', 'dy'],
    outputShape: [2 * plan.P, 2 * plan.G],
    packedOutput: true,
    userCode: `${elementCode(gate)}
  void main() {
    ivec2 po = getOutputCoords();
    int p = po.x / 2, o = po.y / 2;
    int on = o / ${Gs * Gc}, os = (o / ${Gc}) % ${Gs}, oc = o % ${Gc};
    ${hoisted.p ? `float a = getP1(${pc}); float b = getP2(${pc});` : ''}
    ${hoisted.beta ? `float beta = getBeta(${bIdx});` : ''}
    vec3 sum = vec3(0.0);
    int start = p * ${plan.chunk};
    for (int i = 0; i < ${plan.chunk}; i++) {
      int r = start + i;
      if (r >= ${plan.R}) break;
      int n = on + r / ${Rs * Rc}, s = os + (r / ${Rc}) % ${Rs}, c = oc + r % ${Rc};
      ${loadCode(L, 'indexed', hoisted)}
      float y; vec4 grad;
      acon(x, a, b, beta, getDy(n, s, c), y, grad);
      sum += grad.yzw;
    }
    setOutput(vec4(sum, 0.0));
  }`,
  };
}

/** GLSL declaring `o`, the flat index of the output coordinates, for a rank-1 or rank-3 output. */
function flatOutputIndex(shape: number[]): string {
  if (shape.length === 1) return 'int o = getOutputCoords();';
  return `ivec3 oc3 = getOutputCoords(); int o = (oc3.x * ${shape[1]} + oc3.y) * ${shape[2]} + oc3.z;`;
}

/** Pass 2: the sum over the P partials of entry o, lane `lane` of the packed pass-1 texels, in the gradient's shape. */
function partialSumProgram(
  plan: GradientReduction,
  lane: 'x' | 'y' | 'z',
  outputShape: number[],
): WebGLProgram & { packedInputs: boolean } {
  return {
    variableNames: ['partials'],
    outputShape,
    packedInputs: true,
    userCode: `
  void main() {
    ${flatOutputIndex(outputShape)}
    float sum = 0.0;
    for (int p = 0; p < ${plan.P}; p++) sum += getPartials(2 * p, 2 * o).${lane};
    setOutput(sum);
  }`,
  };
}

function sameReduction(a: GradientReduction, b: GradientReduction): boolean {
  return a.out.every((d, i) => d === b.out[i]) && a.chunk === b.chunk;
}

/** Pass 1 for `plan`, then pass 2 for each requested lane (x: dp1, y: dp2, z: dβ) into its shape. */
function reduceTerms(
  backend: WebGLBackendLike,
  inputs: TensorInfo[],
  L: AconCLayout,
  gate: AconGate,
  plan: GradientReduction,
  lanes: ['x' | 'y' | 'z', number[]][],
): TensorInfo[] {
  const partials = backend.runWebGLProgram(termSumProgram(L, gate, plan), inputs, 'float32', undefined, true);
  const outs = lanes.map(([lane, shape]) => backend.runWebGLProgram(partialSumProgram(plan, lane, shape), [partials], 'float32'));
  backend.disposeIntermediateTensorInfo(partials);
  return outs;
}

function aconCForwardWebGL(args: { inputs: AconCInputs; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const backend = args.backend as WebGLBackendLike;
  const { x, p1, p2, beta } = args.inputs;
  checkFloat32(ACON_C, 'webgl', args.inputs);
  const L = aconCLayout(x, p1, beta);
  return backend.runWebGLProgram(forwardProgram(L, gateOf(args.attrs)), [x, p1, p2, beta], 'float32');
}

function aconCBackwardWebGL(args: { inputs: AconCGradInputs; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] {
  const backend = args.backend as WebGLBackendLike;
  const { x, p1, p2, beta, dy } = args.inputs;
  checkFloat32(ACON_C_GRAD, 'webgl', args.inputs);
  const L = aconCLayout(x, p1, beta);
  const gate = gateOf(args.attrs);
  const inputs = [x, p1, p2, beta, dy];
  const pPlan = gradientReduction(L, 'p'),
    bPlan = gradientReduction(L, 'beta');
  const dx = backend.runWebGLProgram(dxProgram(L, gate), inputs, 'float32');
  if (sameReduction(pPlan, bPlan)) {
    const [dp1, dp2, dbeta] = reduceTerms(backend, inputs, L, gate, pPlan, [
      ['x', p1.shape],
      ['y', p2.shape],
      ['z', beta.shape],
    ]);
    return [dx, dp1, dp2, dbeta];
  }
  const [dp1, dp2] = reduceTerms(backend, inputs, L, gate, pPlan, [
    ['x', p1.shape],
    ['y', p2.shape],
  ]);
  const [dbeta] = reduceTerms(backend, inputs, L, gate, bPlan, [['z', beta.shape]]);
  return [dx, dp1, dp2, dbeta];
}

/** `AconC` and `AconCGrad` for `webgl`, registered by `register.ts` (the backend package itself is not imported). */
export const aconCWebGLKernels: KernelConfig[] = [
  { kernelName: ACON_C, backendName: 'webgl', kernelFunc: aconCForwardWebGL as unknown as KernelFunc },
  { kernelName: ACON_C_GRAD, backendName: 'webgl', kernelFunc: aconCBackwardWebGL as unknown as KernelFunc },
];
