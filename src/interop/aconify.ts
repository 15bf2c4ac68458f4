/**
 * `aconify`: a copy of a tfjs LayersModel (Sequential or functional, with branches) in which ReLU
 * and Swish activations become ACON layers (Ma et al., CVPR 2021) and every other weight is kept.
 *
 * Replaced: standalone `Activation` ('relu' / 'swish') and `ReLU` layers (without maxValue), which
 * become the ACON layer under the same name; and the `activation` field of dense and conv layers,
 * which becomes 'linear', followed by a new ACON layer named `<layer>_acon`.
 *
 * `init: 'preserve'` starts each new activation within `tolerance` (default 1e-3) of the old one:
 * - Swish x·σ(x) → p1 = 1, p2 = 0, β = 1 (ACON-C, ACON-B with p = 0, ACON-A with β = 1): the same
 *   function (equal up to float32 rounding).
 *   Meta-ACON-C gets p1 = 1, p2 = 0 and a generator whose output is σ(20) = 1 in float32 (bn2 γ = 0,
 *   β = 20; without BN, fc2 = 0 with bias 20), so β = 1 exactly in float32.
 * - ReLU → p1 = 1, p2 = 0 (p = 0), β = c/tolerance. Then f(x) − max(x, 0) = −|x|·σ(−β|x|), and
 *   sup_x |x|·σ(−β|x|) = c/β with c = max_u u·σ(−u) = u* − 1 = 0.27846454…, u* = 1 + e^(−u*)
 *   (at β·|x| = u*), so |f − relu| ≤ tolerance everywhere (plus float32 rounding of f).
 *   Meta-ACON cannot: its β = σ(·) < 1, so |f − relu| reaches c = 0.278 at best; that is an error.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { AconA, AconB, AconC, MetaAconC } from '../layers/index.js';

export type AconifyTarget = 'aconC' | 'metaAconC' | 'aconA' | 'aconB';
export type AconifyInit = 'official' | 'swish' | 'preserve';

export interface AconifyOptions {
  to: AconifyTarget;
  /**
   * Which activations to replace: `'all'` (default), `'after-3x3'` (those fed by a 3×3 convolution,
   * directly or through batch norm, as the official ACON ResNets), or a predicate on the layer that
   * carries the activation (the activation layer, or the dense/conv layer with an `activation` field).
   */
  where?: 'all' | 'after-3x3' | ((layer: tfl.layers.Layer) => boolean);
  /** Starting parameters: `'preserve'` (default, see the module comment), `'official'` (the ACON presets) or `'swish'`. */
  init?: AconifyInit;
  /** The bound on |f − old activation| that `init: 'preserve'` guarantees; default 1e-3. */
  tolerance?: number;
  /** Meta-ACON-C's reduction ratio (hidden width max(r, ⌊C/r⌋)); default 16. */
  r?: number;
}

/** c = max_u u·σ(−u) = u* − 1 where u* = 1 + e^(−u*): sup |x·σ(βx) − max(x, 0)| = c/β. */
export const RELU_GAP_CONSTANT = 0.2784645427610738;

/** Layers whose `activation` field applies to their output, so it can be split off. */
const ACTIVATION_FIELD_CLASSES = new Set([
  'Dense',
  'Conv1D',
  'Conv2D',
  'Conv3D',
  'DepthwiseConv2D',
  'SeparableConv2D',
  'Conv2DTranspose',
  'Conv3DTranspose',
]);
const CONV_CLASSES = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D']);
const NORM_CLASSES = new Set(['BatchNormalization', 'TorchBatchNorm']);
const TARGETS: readonly AconifyTarget[] = ['aconC', 'metaAconC', 'aconA', 'aconB'];
const INITS: readonly AconifyInit[] = ['official', 'swish', 'preserve'];
const ACON_CLASS: Record<AconifyTarget, string> = {
  aconC: AconC.className,
  metaAconC: MetaAconC.className,
  aconA: AconA.className,
  aconB: AconB.className,
};

type OldActivation = 'relu' | 'swish';
type Config = tf.serialization.ConfigDict;
type NodeRef = [string, number, number, Config?];
interface LayerEntry {
  name?: string;
  className: string;
  config: Config;
  inboundNodes?: NodeRef[][];
}

/** The ReLU/Swish a layer applies, and whether as its own layer or in its `activation` field. */
function activationOf(layer: tfl.layers.Layer): { old: OldActivation; standalone: boolean } | undefined {
  const cls = layer.getClassName();
  const config = layer.getConfig();
  if (cls === 'ReLU') return config.maxValue == null ? { old: 'relu', standalone: true } : undefined;
  const act = config.activation;
  if (act !== 'relu' && act !== 'swish') return undefined;
  if (cls === 'Activation') return { old: act, standalone: true };
  return ACTIVATION_FIELD_CLASSES.has(cls) ? { old: act, standalone: false } : undefined;
}

function is3x3Conv(layer: tfl.layers.Layer): boolean {
  const k = layer.getConfig().kernelSize;
  return CONV_CLASSES.has(layer.getClassName()) && (Array.isArray(k) ? k.length === 2 && k[0] === 3 && k[1] === 3 : k === 3);
}

/** Whether `layer`'s activation is fed by a 3×3 conv: its own kernel, or back through batch norms. */
function after3x3(layer: tfl.layers.Layer, standalone: boolean): boolean {
  if (!standalone) return is3x3Conv(layer);
  let source = layer.inboundNodes[0]?.inboundLayers;
  while (source?.length === 1 && NORM_CLASSES.has(source[0].getClassName())) source = source[0].inboundNodes[0]?.inboundLayers;
  return source?.length === 1 && is3x3Conv(source[0]) && source[0].getConfig().activation === 'linear';
}

function aconConfig(name: string, to: AconifyTarget, init: AconifyInit, r: number | undefined): Config {
  const preset = init === 'official' ? 'official' : 'swish';
  return to === 'metaAconC' ? { name, preset, ...(r === undefined ? {} : { r }) } : { name, preset };
}

/** Sets `layer`'s parameters for `init: 'preserve'` of `old` (see the module comment). */
function preserve(layer: tfl.layers.Layer, to: AconifyTarget, old: OldActivation, tolerance: number): void {
  const beta = old === 'swish' ? 1 : RELU_GAP_CONSTANT / tolerance;
  const generatorOut = 20; // σ(20) rounds to 1 in float32
  const values: Record<string, number> = { p1: 1, p2: 0, p: 0, beta };
  const own = (w: tfl.LayerVariable) => w.originalName.slice(layer.name.length + 1);
  const hasBn2 = layer.weights.some((w) => own(w) === 'bn2/gamma');
  if (to === 'metaAconC')
    Object.assign(values, hasBn2 ? { 'bn2/gamma': 0, 'bn2/beta': generatorOut } : { 'fc2/kernel': 0, 'fc2/bias': generatorOut });
  const weights = layer.weights.map((w) => {
    const value = values[own(w)];
    return value === undefined ? w.read().clone() : tf.fill(w.shape as number[], value);
  });
  layer.setWeights(weights);
  tf.dispose(weights);
}

/** The ACON version of `model`; the original is left unchanged. */
export function aconify(model: tfl.LayersModel, options: AconifyOptions): tfl.LayersModel {
  const { to, where = 'all', init = 'preserve', tolerance = 1e-3, r } = options;
  if (!TARGETS.includes(to))
    throw new Error(`aconify: 'to' must be one of ${TARGETS.map((t) => `'${t}'`).join(', ')}, got '${String(to)}'`);
  if (!INITS.includes(init))
    throw new Error(`aconify: 'init' must be one of ${INITS.map((t) => `'${t}'`).join(', ')}, got '${String(init)}'`);
  if (!(tolerance > 0)) throw new Error(`aconify: tolerance must be > 0, got ${tolerance}`);
  if (where !== 'all' && where !== 'after-3x3' && typeof where !== 'function')
    throw new Error(`aconify: 'where' must be 'all', 'after-3x3' or a function of the layer, got '${String(where)}'`);

  const taken = new Set(model.layers.map((l) => l.name));
  const uniqueName = (base: string) => {
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  /** Layer name in the new model → the activation it replaces, for `preserve`. */
  const replaced = new Map<string, OldActivation>();
  /** For a split layer's name, the name of the ACON layer that now follows it. */
  const followers = new Map<string, string>();
  const entries = new Map<string, LayerEntry[]>();

  for (const layer of model.layers) {
    const found = activationOf(layer);
    if (!found) continue;
    const chosen = where === 'all' ? true : where === 'after-3x3' ? after3x3(layer, found.standalone) : where(layer);
    if (!chosen) continue;
    if (init === 'preserve' && to === 'metaAconC' && found.old === 'relu')
      throw new Error(
        `aconify: init 'preserve' cannot keep layer '${layer.name}' (ReLU) as Meta-ACON-C: its β = σ(·) < 1 leaves |f − relu| up to ${RELU_GAP_CONSTANT.toFixed(4)}; ` +
          `use to: 'aconC' (or init: 'swish' / 'official')`,
      );
    if (found.standalone) {
      entries.set(layer.name, [{ className: ACON_CLASS[to], config: aconConfig(layer.name, to, init, r) }]);
      replaced.set(layer.name, found.old);
      continue;
    }
    if (layer.inboundNodes.length > 1)
      throw new Error(
        `aconify: layer '${layer.name}' is shared (applied ${layer.inboundNodes.length} times); split its '${found.old}' activation into its own layer first`,
      );
    const aconName = uniqueName(`${layer.name}_acon`);
    entries.set(layer.name, [
      { className: layer.getClassName(), config: { ...layer.getConfig(), activation: 'linear' } },
      { className: ACON_CLASS[to], config: aconConfig(aconName, to, init, r) },
    ]);
    followers.set(layer.name, aconName);
    replaced.set(aconName, found.old);
  }

  const rewire = (ref: NodeRef): NodeRef => (followers.has(ref[0]) ? ([followers.get(ref[0])!, ...ref.slice(1)] as NodeRef) : ref);
  const config = model.getConfig();
  const layerEntries = config.layers as unknown as LayerEntry[];
  const functional = Array.isArray(config.inputLayers);
  const newEntries: LayerEntry[] = [];
  for (const entry of layerEntries) {
    const name = (entry.name ?? entry.config.name) as string;
    const inbound = entry.inboundNodes?.map((node) => node.map(rewire));
    const replacement = entries.get(name);
    if (!replacement) {
      newEntries.push(functional ? { ...entry, inboundNodes: inbound } : entry);
      continue;
    }
    const [first, second] = replacement;
    if (!functional) {
      const head = {
        className: first.className,
        config: entry.config.batchInputShape ? { ...first.config, batchInputShape: entry.config.batchInputShape } : first.config,
      };
      newEntries.push(head, ...(second ? [second] : []));
      continue;
    }
    newEntries.push({ name, className: first.className, config: first.config, inboundNodes: inbound });
    if (second)
      newEntries.push({
        name: second.config.name as string,
        className: second.className,
        config: second.config,
        inboundNodes: [[[name, 0, 0, {}]]],
      });
  }
  const newConfig: Config = { ...config, layers: newEntries as unknown as Config[] };
  if (functional) newConfig.outputLayers = (config.outputLayers as unknown as NodeRef[]).map(rewire) as unknown as Config[];
  const cls = (functional ? tfl.LayersModel : tfl.Sequential) as unknown as tf.serialization.SerializableConstructor<tfl.LayersModel>;
  const rebuilt = (cls as unknown as { fromConfig: (c: unknown, cfg: Config) => tfl.LayersModel }).fromConfig(cls, newConfig);

  for (const layer of model.layers) {
    if (layer.weights.length) rebuilt.getLayer(layer.name).setWeights(layer.getWeights());
  }
  if (init === 'preserve') for (const [name, old] of replaced) preserve(rebuilt.getLayer(name), to, old, tolerance);
  return rebuilt;
}
