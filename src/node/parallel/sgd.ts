/** SGD with momentum on flat float32 parameters, applied once per step by the coordinating thread. */

export interface SgdSpec {
  type: 'sgd';
  /** Default learning rate; `DataParallelTrainer.step` can override it per step. */
  learningRate: number;
  /** Default 0 (plain SGD). */
  momentum?: number;
  nesterov?: boolean;
}

/**
 * tf.train.momentum's update, every operation rounded to float32 as tfjs does:
 * v ← m·v + g;  p ← p − lr·v  (Nesterov: p ← p − lr·(g + m·v)), with v starting at 0.
 */
export class SgdMomentum {
  private readonly velocity: Float32Array;

  constructor(readonly spec: SgdSpec, size: number) {
    if (spec.type !== 'sgd') throw new Error(`acon: unknown optimizer type '${(spec as { type: string }).type}'`);
    this.velocity = new Float32Array(size);
  }

  update(params: Float32Array, grad: Float32Array, learningRate = this.spec.learningRate): void {
    if (!Number.isFinite(learningRate)) throw new Error(`acon: learning rate must be finite, got ${learningRate}`);
    const f = Math.fround;
    const c = f(-learningRate), m = f(this.spec.momentum ?? 0), v = this.velocity;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i];
      v[i] = f(v[i] * m) + g; // the Float32Array store rounds the sum
      const step = this.spec.nesterov ? f(g + f(v[i] * m)) : v[i];
      params[i] = params[i] + f(c * step);
    }
  }
}
