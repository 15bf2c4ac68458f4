/**
 * ACON-A, ACON-B and ACON-C as tfjs-layers layers (Ma et al., CVPR 2021, §3). Channels last;
 * parameters per channel (shape `[C]`) or, with `sharedAxes` naming the channel axis, one per
 * layer (shape `[1]`). Spatial axes always share the parameters, as in the official code.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { aconA as aconAOp, aconB as aconBOp, aconC as aconCOp, type AconGate } from '../ops/index.js';
import {
  checkPreset,
  presetInitializer,
  resolveInitializer,
  serializeInitializer,
  type AconPreset,
  type Initializer,
  type InitializerLike,
} from './initializers.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;
type Shape = (number | null)[];

export interface AconLayerArgs extends LayerArgs {
  /** Starting values of all parameters: `'official'` (default), `'swish'` or `'relu-like'`. */
  preset?: AconPreset;
  /** Initializer of β, overriding the preset. */
  betaInitializer?: InitializerLike;
  /**
   * Input axes (batch = 0, negative from the end) along which parameters are shared. Naming the
   * channel axis gives layer-wise ACON (parameters of shape `[1]`); spatial axes are always shared.
   */
  sharedAxes?: number | number[];
  /** The switch: `'sigmoid'` (default) or `'hardSigmoid'`, clip(z/6 + 1/2, 0, 1) (nmaac/acon#2, #12). */
  gate?: AconGate;
}

const GATES: readonly AconGate[] = ['sigmoid', 'hardSigmoid'];

/** Checks a layer's `gate` option (absent means `'sigmoid'`). */
export function checkGate(layer: string, gate: unknown): AconGate {
  if (gate === undefined) return 'sigmoid';
  if (!GATES.includes(gate as AconGate)) throw new Error(`${layer}: gate must be 'sigmoid' or 'hardSigmoid', got '${String(gate)}'`);
  return gate as AconGate;
}

export interface AconBLayerArgs extends AconLayerArgs {
  /** Initializer of p, overriding the preset. */
  pInitializer?: InitializerLike;
}

export interface AconCLayerArgs extends AconLayerArgs {
  p1Initializer?: InitializerLike;
  p2Initializer?: InitializerLike;
}

/** Input shape check shared by every ACON layer: rank ≥ 2 and a known channel count. */
export function channelsOf(layer: string, inputShape: Shape | Shape[]): number {
  const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
  if (shape.length < 2) throw new Error(`${layer}: input must have rank >= 2 ([N,C], [N,L,C] or [N,H,W,C]) but has shape [${shape}]`);
  const C = shape[shape.length - 1];
  if (C === null || C === undefined) throw new Error(`${layer}: the channel (last) axis of the input must be known, got shape [${shape}]`);
  return C;
}

function normalizeSharedAxes(layer: string, sharedAxes: number | number[] | undefined): number[] {
  if (sharedAxes === undefined) return [];
  const axes = Array.isArray(sharedAxes) ? sharedAxes : [sharedAxes];
  for (const a of axes)
    if (!Number.isInteger(a) || a === 0)
      throw new Error(`${layer}: sharedAxes must be non-zero integers (batch axis 0 cannot be shared), got [${axes}]`);
  return axes;
}

/** One learnable parameter of an ACON layer: its weight name and initializer. */
interface ParamSpec {
  name: 'p1' | 'p2' | 'p' | 'beta';
  initializer: Initializer;
  /** The user's explicit initializer, kept for getConfig. */
  explicit?: Initializer;
}

/** What AconA/B/C share: per-channel weights built from presets, sharing, config. */
abstract class AconBase extends tfl.layers.Layer {
  readonly preset: AconPreset;
  readonly sharedAxes: number[];
  readonly gate: AconGate;
  protected readonly params: ParamSpec[];
  protected weightsByName: Partial<Record<ParamSpec['name'], tfl.LayerVariable>> = {};

  protected constructor(args: AconLayerArgs & Record<string, unknown>, names: ParamSpec['name'][]) {
    super(args);
    const cls = (this.constructor as unknown as { className: string }).className;
    this.preset = checkPreset(cls, args.preset);
    this.sharedAxes = normalizeSharedAxes(cls, args.sharedAxes);
    this.gate = checkGate(cls, args.gate);
    this.params = names.map((name) => {
      const given = args[`${name}Initializer`] as InitializerLike | undefined;
      const explicit = given === undefined ? undefined : resolveInitializer(cls, `${name}Initializer`, given);
      return { name, explicit, initializer: explicit ?? presetInitializer(this.preset, name) };
    });
    this.supportsMasking = true;
  }

  override build(inputShape: Shape | Shape[]): void {
    const cls = this.getClassName();
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const C = channelsOf(cls, shape);
    const channelAxis = shape.length - 1;
    for (const a of this.sharedAxes) {
      if (a >= shape.length || a < -shape.length)
        throw new Error(`${cls}: sharedAxes [${this.sharedAxes}] out of range for input shape [${shape}]`);
    }
    const shared = this.sharedAxes.some((a) => (a + shape.length) % shape.length === channelAxis);
    const paramShape = [shared ? 1 : C];
    for (const p of this.params) {
      this.weightsByName[p.name] = this.addWeight(p.name, paramShape, 'float32', p.initializer);
    }
    this.inputSpec = [{ minNDim: 2, axes: { [-1]: C } }];
    this.built = true;
  }

  protected value(name: ParamSpec['name']): tf.Tensor {
    return this.weightsByName[name]!.read();
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { preset: this.preset };
    if (this.sharedAxes.length) config.sharedAxes = this.sharedAxes;
    if (this.gate !== 'sigmoid') config.gate = this.gate;
    for (const p of this.params) if (p.explicit) config[`${p.name}Initializer`] = serializeInitializer(p.explicit);
    return { ...config, ...super.getConfig() };
  }
}

/** The one input tensor of a single-input layer. */
export function single(layer: string, inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (!Array.isArray(inputs)) return inputs;
  if (inputs.length !== 1) throw new Error(`${layer}: expects exactly one input tensor, got ${inputs.length}`);
  return inputs[0];
}

/** ACON-A (Swish with learnable β): f(x) = x·σ(βx). Weights: `[beta]`. */
export class AconA extends AconBase {
  static className = 'AconA';
  constructor(args: AconLayerArgs = {}) {
    super(args as AconLayerArgs & Record<string, unknown>, ['beta']);
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return aconAOp(single('AconA', inputs), this.value('beta'), { gate: this.gate });
  }
}

/** ACON-B (smooth PReLU): f(x) = (1 − p)x·σ(β(1 − p)x) + px. Weights: `[p, beta]`. */
export class AconB extends AconBase {
  static className = 'AconB';
  constructor(args: AconBLayerArgs = {}) {
    super(args as AconBLayerArgs & Record<string, unknown>, ['p', 'beta']);
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return aconBOp(single('AconB', inputs), this.value('p'), this.value('beta'), { gate: this.gate });
  }
}

/** ACON-C: f(x) = (p1 − p2)x·σ(β(p1 − p2)x) + p2x (paper eq. 5). Weights: `[p1, p2, beta]`. */
export class AconC extends AconBase {
  static className = 'AconC';
  constructor(args: AconCLayerArgs = {}) {
    super(args as AconCLayerArgs & Record<string, unknown>, ['p1', 'p2', 'beta']);
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return aconCOp(single('AconC', inputs), this.value('p1'), this.value('p2'), this.value('beta'), { gate: this.gate });
  }
}

tf.serialization.registerClass(AconA);
tf.serialization.registerClass(AconB);
tf.serialization.registerClass(AconC);
