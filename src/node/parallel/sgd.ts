/**
 * SGD with momentum on flat float32 parameters. With several replicas each one updates its own
 * slice of the parameters (`sgdStep`), from the gradients of all of them, in shared memory.
 */

export interface SgdSpec {
  type: 'sgd';
  /** Default learning rate; `DataParallelTrainer.step` can override it per step. */
  learningRate: number;
  /** Default 0 (plain SGD). */
  momentum?: number;
  nesterov?: boolean;
  /** L2 weight decay λ, added to the gradient as λ·p (PyTorch's SGD `weight_decay`); default 0. */
  weightDecay?: number;
  /** Which trainable weights decay; default all. Runs on the coordinating thread only. */
  decayWeights?: (w: WeightInfo) => boolean;
}

/** A trainable weight as the decay selector sees it. */
export interface WeightInfo {
  /** Variable name as created (without the suffix tfjs adds to repeated names), e.g. `stage2/block1/conv1/kernel`. */
  name: string;
  /** Class of the layer that owns it, e.g. `Conv2D`, `AconC`, `BatchNormalization`. */
  layerClass: string;
  shape: number[];
}

/** The optimizer as plain data (views of SharedArrayBuffers when shared), which can be posted to a worker. */
export interface SgdState {
  momentum: number;
  nesterov: boolean;
  /** v, one per parameter element, starting at 0. */
  velocity: Float32Array;
  /** λ per parameter element (0 where a weight does not decay); absent without decay. */
  decay?: Float32Array;
}

/** Builds the optimizer's state for weights of the given shapes, in arrays from `floats` (e.g. shared memory). */
export function createSgdState(
  spec: SgdSpec,
  weights: WeightInfo[],
  floats: (n: number) => Float32Array = (n) => new Float32Array(n),
): SgdState {
  if (spec.type !== 'sgd') throw new Error(`acon: unknown optimizer type '${(spec as { type: string }).type}'`);
  checkLearningRate(spec.learningRate);
  const sizes = weights.map((w) => w.shape.reduce((a, b) => a * b, 1));
  const state: SgdState = { momentum: spec.momentum ?? 0, nesterov: !!spec.nesterov, velocity: floats(sizes.reduce((a, b) => a + b, 0)) };
  const wd = spec.weightDecay ?? 0;
  if (!(wd >= 0)) throw new Error(`acon: weightDecay must be ≥ 0, got ${wd}`);
  if (wd > 0) {
    const decay = (state.decay = floats(state.velocity.length));
    let off = 0;
    weights.forEach((w, i) => {
      if (!spec.decayWeights || spec.decayWeights(w)) decay.fill(wd, off, off + sizes[i]);
      off += sizes[i];
    });
  }
  return state;
}

export function checkLearningRate(learningRate: number): void {
  if (!Number.isFinite(learningRate)) throw new Error(`acon: learning rate must be finite, got ${learningRate}`);
}

const f = Math.fround;

/**
 * tf.train.momentum's update of params[from, to), every operation rounded to float32 as tfjs does,
 * with the gradient g = Σ_k w_k·grads_k summed in float64 in the given order and rounded once:
 * g ← g + λ·p (with weight decay); v ← m·v + g; p ← p − lr·v (Nesterov: p ← p − lr·(g + m·v)).
 */
export function sgdStep(
  s: SgdState,
  params: Float32Array,
  grads: Float32Array[],
  weights: number[],
  learningRate: number,
  from = 0,
  to = params.length,
): void {
  const c = f(-learningRate),
    m = f(s.momentum),
    v = s.velocity,
    decay = s.decay,
    nesterov = s.nesterov;
  const K = grads.length,
    g0 = grads[0],
    g1 = grads[K > 1 ? 1 : 0],
    w0 = weights[0],
    w1 = weights[K > 1 ? 1 : 0];
  for (let i = from; i < to; i++) {
    let sum: number;
    // One or two replicas are the common cases; the general loop is half as fast.
    if (K === 1) sum = w0 * g0[i];
    else if (K === 2) sum = w0 * g0[i] + w1 * g1[i];
    else {
      sum = 0;
      for (let k = 0; k < K; k++) sum += weights[k] * grads[k][i];
    }
    let g = f(sum);
    if (decay) g = f(g + f(decay[i] * params[i]));
    const vi = f(f(v[i] * m) + g);
    v[i] = vi;
    params[i] = params[i] + f(c * (nesterov ? f(g + f(vi * m)) : vi));
  }
}
