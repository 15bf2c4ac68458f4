/**
 * One model replica: loads the shared flat weights, and computes the gradient of one shard's loss.
 * Used on the calling thread (`workers: 1`) and inside each worker.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, LayerVariable } from '@tensorflow/tfjs-layers';
import { lossFunction, type LossFn, type LossSpec } from './loss.js';
import type { WeightInfo } from './sgd.js';

/** Shapes of the trainable weights and of the non-trainable state, in model order (the flat layout). */
export interface WeightLayout {
  trainable: number[][];
  state: number[][];
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export class Replica {
  readonly layout: WeightLayout;
  /** Per-example input shape (without the batch axis). */
  readonly inputShape: number[];
  readonly numClasses: number;
  readonly paramCount: number;
  readonly stateCount: number;
  /** Name, owning layer class and shape of each trainable weight, in the flat layout's order. */
  readonly weightInfo: WeightInfo[];
  private readonly trainable: LayerVariable[];
  private readonly state: LayerVariable[];
  private readonly loss: LossFn;

  constructor(
    readonly model: LayersModel,
    loss: LossSpec,
  ) {
    if (model.inputs.length !== 1 || model.outputs.length !== 1)
      throw new Error('acon: data-parallel training needs a model with one input and one output');
    const inShape = model.inputs[0].shape.slice(1),
      outShape = model.outputs[0].shape.slice(1);
    if (inShape.some((d) => d == null))
      throw new Error(`acon: model input shape [${model.inputs[0].shape}] must be fully defined past the batch axis`);
    if (outShape.length !== 1 || outShape[0] == null)
      throw new Error(`acon: model output must be logits [batch, classes], got [${model.outputs[0].shape}]`);
    this.inputShape = inShape as number[];
    this.numClasses = outShape[0];
    this.trainable = model.trainableWeights;
    this.state = model.nonTrainableWeights;
    const owned = model.layers.flatMap((l) =>
      l.trainableWeights.map((w) => ({ w, info: { name: w.originalName, layerClass: l.getClassName(), shape: w.shape as number[] } })),
    );
    this.weightInfo = owned.map((o) => o.info);
    if (owned.some((o, i) => o.w !== this.trainable[i]) || owned.length !== this.trainable.length) {
      throw new Error("acon: model.trainableWeights are not its layers' trainable weights in layer order");
    }
    this.layout = { trainable: this.trainable.map((w) => w.shape as number[]), state: this.state.map((w) => w.shape as number[]) };
    this.paramCount = this.layout.trainable.reduce((a, s) => a + size(s), 0);
    this.stateCount = this.layout.state.reduce((a, s) => a + size(s), 0);
    this.loss = lossFunction(loss);
  }

  /** Copies flat weights into the variables (assigning directly, without constraints, as tfjs's `fit` does). */
  load(params: Float32Array, state: Float32Array): void {
    tf.tidy(() => {
      assignFlat(this.trainable, params);
      assignFlat(this.state, state);
    });
  }

  /** Copies the variables into flat weights. */
  save(params: Float32Array, state: Float32Array): void {
    readFlat(this.trainable, params);
    readFlat(this.state, state);
  }

  /**
   * For the shard x `[n, ...inputShape]`, y `[n, classes]` (row-major): writes ∂L/∂θ to `grad`,
   * where L is the shard's mean loss plus the model's regularisation losses, writes the
   * non-trainable state after the training-mode forward pass to `state`, and returns L.
   */
  gradients(x: Float32Array, y: Float32Array, n: number, grad: Float32Array, state: Float32Array): number {
    const vars = this.trainable.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.tidy(() => {
      // Copies, so that no tensor aliases a shared buffer the coordinator rewrites.
      const xs = tf.tensor(x.slice(0, n * size(this.inputShape)), [n, ...this.inputShape]);
      const ys = tf.tensor2d(y.slice(0, n * this.numClasses), [n, this.numClasses]);
      return tf.variableGrads(() => {
        const logits = this.model.apply(xs, { training: true }) as tf.Tensor;
        return this.model.calculateLosses().reduce((l: tf.Scalar, r) => tf.add(l, r), this.loss(ys, logits));
      }, vars);
    });
    let offset = 0;
    for (const v of vars) {
      const g = grads[v.name];
      if (g) grad.set(g.dataSync(), offset);
      else grad.fill(0, offset, offset + v.size);
      offset += v.size;
    }
    readFlat(this.state, state);
    const loss = value.dataSync()[0];
    tf.dispose([value, grads]);
    return loss;
  }
}

function assignFlat(weights: LayerVariable[], flat: Float32Array): void {
  let offset = 0;
  for (const w of weights) {
    const shape = w.shape as number[],
      n = size(shape);
    (w.read() as tf.Variable).assign(tf.tensor(flat.slice(offset, offset + n), shape));
    offset += n;
  }
}

function readFlat(weights: LayerVariable[], flat: Float32Array): void {
  let offset = 0;
  for (const w of weights) {
    const values = w.read().dataSync();
    flat.set(values, offset);
    offset += values.length;
  }
}
