/** SGD with momentum on flat float32 parameters, applied once per step by the coordinating thread. */

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

/**
 * tf.train.momentum's update, every operation rounded to float32 as tfjs does:
 * v ← m·v + g;  p ← p − lr·v  (Nesterov: p ← p − lr·(g + m·v)), with v starting at 0;
 * with weight decay, g ← g + λ·p first for the selected weights.
 */
export class SgdMomentum {
  readonly velocity: Float32Array;
  /** λ per parameter element (0 where a weight does not decay), or undefined without decay. */
  private readonly decay?: Float32Array;

  constructor(readonly spec: SgdSpec, weights: WeightInfo[]) {
    if (spec.type !== 'sgd') throw new Error(`acon: unknown optimizer type '${(spec as { type: string }).type}'`);
    const sizes = weights.map((w) => w.shape.reduce((a, b) => a * b, 1));
    this.velocity = new Float32Array(sizes.reduce((a, b) => a + b, 0));
    const wd = spec.weightDecay ?? 0;
    if (!(wd >= 0)) throw new Error(`acon: weightDecay must be ≥ 0, got ${wd}`);
    if (wd > 0) {
      this.decay = new Float32Array(this.velocity.length);
      let off = 0;
      weights.forEach((w, i) => {
        if (!spec.decayWeights || spec.decayWeights(w)) this.decay!.fill(wd, off, off + sizes[i]);
        off += sizes[i];
      });
    }
  }

  update(params: Float32Array, grad: Float32Array, learningRate = this.spec.learningRate): void {
    if (!Number.isFinite(learningRate)) throw new Error(`acon: learning rate must be finite, got ${learningRate}`);
    const f = Math.fround;
    const c = f(-learningRate), m = f(this.spec.momentum ?? 0), v = this.velocity;
    for (let i = 0; i < params.length; i++) {
      const g = this.decay ? f(grad[i] + f(this.decay[i] * params[i])) : grad[i];
      v[i] = f(v[i] * m) + g; // the Float32Array store rounds the sum
      const step = this.spec.nesterov ? f(g + f(v[i] * m)) : v[i];
      params[i] = params[i] + f(c * step);
    }
  }
}
