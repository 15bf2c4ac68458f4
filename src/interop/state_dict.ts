/**
 * PyTorch state_dicts ↔ tfjs layers: the one place that knows the layout of every weight on both
 * sides. A tfjs layer's PyTorch module path is its name with every `/` replaced by `.`; its tensors
 * are `<module path>.<param>`:
 *
 * | tfjs layer | tfjs weight → PyTorch key (layout) |
 * |---|---|
 * | Conv2D | kernel `[kh,kw,in,out]` → `weight` `[out,in,kh,kw]`; bias |
 * | Conv1D | kernel `[k,in,out]` → `weight` `[out,in,k]`; bias |
 * | DepthwiseConv2D | depthwise_kernel `[kh,kw,C,m]` → `weight` `[C·m,1,kh,kw]`; bias |
 * | Dense | kernel `[in,out]` → `weight` `[out,in]`; bias |
 * | BatchNormalization, TorchBatchNorm, LayerNormalization | gamma, beta, moving_mean, moving_variance → `weight`, `bias`, `running_mean`, `running_var` |
 * | Embedding | embeddings → `weight` |
 * | AconA, AconB, AconC | beta, p, p1, p2 `[C]` → `[1,C,1,1]` (the official modules) |
 * | MetaAconC (channel) | p1, p2 `[C]` → `[1,C,1,1]`; fc1/kernel `[C,h]` → `fc1.weight` `[h,C,1,1]`; fc1/bias; bn1/* → `bn1.*`; fc2, bn2 likewise |
 *
 * `num_batches_tracked` is accepted and ignored on load (PyTorch uses it only when momentum is None).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { MetaAconC } from '../layers/meta_acon.js';

/** One weight of a layer with its PyTorch name and the layout conversions both ways. */
export interface TorchParam {
  /** The state_dict key relative to the layer's module, e.g. `weight`, `fc1.weight`, `running_var`. */
  key: string;
  variable: tfl.LayerVariable;
  /** The shape PyTorch stores this weight with. */
  torchShape: number[];
  /** A tensor in PyTorch's layout (of `torchShape`) → ours (of the variable's shape). */
  toLayer(t: tf.Tensor): tf.Tensor;
  /** Ours → PyTorch's layout. */
  toTorch(t: tf.Tensor): tf.Tensor;
  /** Accepts PyTorch shapes that differ only by size-1 axes (ACON parameters saved as `[C]` or `[1,C]`). */
  squeezable?: boolean;
}

type Conversion = Omit<TorchParam, 'key' | 'variable'>;

const identity = (shape: number[]): Conversion => ({ torchShape: shape, toLayer: (t) => t.clone(), toTorch: (t) => t.clone() });

const transposed = (shape: number[], toTorchPerm: number[], toLayerPerm: number[]): Conversion => ({
  torchShape: toTorchPerm.map((p) => shape[p]),
  toLayer: (t) => tf.transpose(t, toLayerPerm),
  toTorch: (t) => tf.transpose(t, toTorchPerm),
});

/** Per-channel parameters: `[C]` ↔ the official `[1,C,1,1]`. */
const perChannel = (shape: number[]): Conversion => ({
  torchShape: [1, shape[0], 1, 1],
  toLayer: (t) => tf.reshape(t, shape),
  toTorch: (t) => tf.reshape(t, [1, shape[0], 1, 1]),
  squeezable: true,
});

/** A dense kernel `[in,out]` ↔ a 1×1 conv weight `[out,in,1,1]`. */
const kernelAs1x1Conv = (shape: number[]): Conversion => ({
  torchShape: [shape[1], shape[0], 1, 1],
  toLayer: (t) => tf.transpose(tf.reshape(t, [shape[1], shape[0]])),
  toTorch: (t) => tf.reshape(tf.transpose(t), [shape[1], shape[0], 1, 1]),
});

const NORM_KEYS: Record<string, string> = { gamma: 'weight', beta: 'bias', moving_mean: 'running_mean', moving_variance: 'running_var' };

/** How each layer class names and lays out its weights; `weight` is the weight's name inside the layer. */
const RULES: Record<string, (weight: string, shape: number[], layer: tfl.layers.Layer) => [string, Conversion] | undefined> = {
  Conv2D: (w, s) =>
    w === 'kernel' ? ['weight', transposed(s, [3, 2, 0, 1], [2, 3, 1, 0])] : w === 'bias' ? ['bias', identity(s)] : undefined,
  Conv1D: (w, s) => (w === 'kernel' ? ['weight', transposed(s, [2, 1, 0], [2, 1, 0])] : w === 'bias' ? ['bias', identity(s)] : undefined),
  DepthwiseConv2D: (w, s) => {
    if (w === 'bias') return ['bias', identity(s)];
    if (w !== 'depthwise_kernel') return undefined;
    const [kh, kw, C, m] = s;
    return [
      'weight',
      {
        torchShape: [C * m, 1, kh, kw],
        toLayer: (t) => tf.transpose(tf.reshape(t, [C, m, kh, kw]), [2, 3, 0, 1]),
        toTorch: (t) => tf.reshape(tf.transpose(t, [2, 3, 0, 1]), [C * m, 1, kh, kw]),
      },
    ];
  },
  Dense: (w, s) => (w === 'kernel' ? ['weight', transposed(s, [1, 0], [1, 0])] : w === 'bias' ? ['bias', identity(s)] : undefined),
  BatchNormalization: (w, s) => (NORM_KEYS[w] ? [NORM_KEYS[w], identity(s)] : undefined),
  TorchBatchNorm: (w, s) => (NORM_KEYS[w] ? [NORM_KEYS[w], identity(s)] : undefined),
  LayerNormalization: (w, s) => (w === 'gamma' || w === 'beta' ? [NORM_KEYS[w], identity(s)] : undefined),
  Embedding: (w, s) => (w === 'embeddings' ? ['weight', identity(s)] : undefined),
  AconA: (w, s) => (w === 'beta' ? [w, perChannel(s)] : undefined),
  AconB: (w, s) => (w === 'p' || w === 'beta' ? [w, perChannel(s)] : undefined),
  AconC: (w, s) => (w === 'p1' || w === 'p2' || w === 'beta' ? [w, perChannel(s)] : undefined),
  MetaAconC: (w, s, layer) => {
    const g = (layer as MetaAconC).granularity;
    if (g !== 'channel')
      throw new Error(`MetaAconC '${layer.name}': granularity '${g}' has no PyTorch counterpart in nmaac/acon (only 'channel')`);
    if (w === 'p1' || w === 'p2') return [w, perChannel(s)];
    const m = /^(fc[12]|bn[12])\/(kernel|bias|gamma|beta|moving_mean|moving_variance)$/.exec(w);
    if (!m) return undefined;
    if (m[1].startsWith('fc')) return m[2] === 'kernel' ? [`${m[1]}.weight`, kernelAs1x1Conv(s)] : [`${m[1]}.bias`, identity(s)];
    return [`${m[1]}.${NORM_KEYS[m[2]]}`, identity(s)];
  },
};

/** The layer classes whose weights have a known PyTorch layout. */
export const TORCH_LAYER_CLASSES: readonly string[] = Object.keys(RULES);

/** The weights of `layer` in `layer.weights` order (trainable, then non-trainable) with their PyTorch names and layouts. */
export function torchParams(layer: tfl.layers.Layer): TorchParam[] {
  if (layer.weights.length === 0) return [];
  const cls = layer.getClassName();
  const rule = RULES[cls];
  if (!rule)
    throw new Error(`layer '${layer.name}' (${cls}) has weights but no known PyTorch layout (known: ${TORCH_LAYER_CLASSES.join(', ')})`);
  return layer.weights.map((variable) => {
    const prefix = `${layer.name}/`;
    const weight = variable.originalName.startsWith(prefix) ? variable.originalName.slice(prefix.length) : variable.originalName;
    const found = rule(weight, variable.shape as number[], layer);
    if (!found) throw new Error(`layer '${layer.name}' (${cls}): no PyTorch name for its weight '${weight}'`);
    return { key: found[0], variable, ...found[1] };
  });
}

/** Every layer with weights, nested models flattened (their layers keep their own names). */
function leafLayers(model: tfl.LayersModel): tfl.layers.Layer[] {
  return model.layers.flatMap((l) =>
    'layers' in l && Array.isArray((l as tfl.LayersModel).layers) ? leafLayers(l as tfl.LayersModel) : [l],
  );
}

/** A layer's module path: `mapping` (a record or function of the layer name) or the name with `/` → `.`. */
export type ModuleMapping = Record<string, string> | ((layerName: string) => string | undefined);

export function modulePath(layerName: string, mapping?: ModuleMapping): string {
  const mapped = typeof mapping === 'function' ? mapping(layerName) : mapping?.[layerName];
  return mapped ?? layerName.replaceAll('/', '.');
}

const joinKey = (path: string, key: string) => (path ? `${path}.${key}` : key);

const squeezed = (shape: readonly number[]) => shape.filter((d) => d !== 1);

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function elementsOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * `t` (PyTorch layout, for `param` of `layer` under `key`) converted to the variable's layout; a
 * shape mismatch is an error naming the key, both shapes and the layer.
 */
export function torchTensorToLayer(param: TorchParam, t: tf.Tensor, key: string, layer: tfl.layers.Layer): tf.Tensor {
  const ok =
    sameShape(t.shape, param.torchShape) ||
    (param.squeezable && sameShape(squeezed(t.shape), squeezed(param.torchShape)) && t.size === elementsOf(param.torchShape));
  if (!ok)
    throw new Error(
      `'${key}': the state_dict has shape [${t.shape}] but layer '${layer.name}' (${layer.getClassName()}) expects [${param.torchShape}] (its weight '${param.variable.originalName}' is [${param.variable.shape}])`,
    );
  return tf.tidy(() => param.toLayer(t.dtype === 'float32' ? t : tf.cast(t, 'float32')));
}

/** Our weights for `layer` from a state_dict whose keys are relative to the layer's module (`prefix` prepended if given). */
function layerWeightsFromStateDict(layer: tfl.layers.Layer, stateDict: Record<string, tf.Tensor>, prefix: string): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  try {
    for (const p of torchParams(layer)) {
      const key = joinKey(prefix, p.key);
      const t = stateDict[key];
      if (!t)
        throw new Error(
          `layer '${layer.name}' (${layer.getClassName()}): the state_dict has no '${key}' (has ${Object.keys(stateDict).join(', ')})`,
        );
      out.push(torchTensorToLayer(p, t, key, layer));
    }
  } catch (e) {
    tf.dispose(out);
    throw e;
  }
  return out;
}

export interface LoadTorchStateDictOptions {
  /** Module path of each layer (default: the layer name with `/` → `.`). */
  mapping?: ModuleMapping;
  /** Throw, loading nothing, if a weight has no tensor or a tensor has no weight (default true). */
  strict?: boolean;
  /** Where warnings go (default console.warn). */
  warn?: (message: string) => void;
}

export interface LoadTorchStateDictResult {
  /** The state_dict keys assigned to a weight. */
  loaded: string[];
  /** The keys the model's weights need that the state_dict lacks. */
  missing: string[];
  /** The state_dict keys no weight takes (`num_batches_tracked` excepted: it is ignored). */
  unexpected: string[];
}

/** PyTorch's BatchNorm default eps; tfjs's BatchNormalization defaults to 1e-3. */
export const TORCH_BATCH_NORM_EPS = 1e-5;

const isNumBatchesTracked = (key: string) => key === 'num_batches_tracked' || key.endsWith('.num_batches_tracked');

/**
 * Assigns a PyTorch state_dict to `model`'s weights, converting layouts (see the module comment).
 * Every shape is checked before anything is assigned, and with `strict` (default) so are missing and
 * unexpected keys, so a failed load leaves the model unchanged. Warns when a tfjs
 * BatchNormalization's epsilon is not PyTorch's default 1e-5.
 */
export function loadTorchStateDict(
  model: tfl.LayersModel,
  stateDict: Record<string, tf.Tensor>,
  options: LoadTorchStateDictOptions = {},
): LoadTorchStateDictResult {
  const strict = options.strict ?? true;
  const warn = options.warn ?? ((m: string) => console.warn(m));
  const loaded: string[] = [];
  const missing: string[] = [];
  const assignments: [tfl.LayerVariable, tf.Tensor][] = [];
  const owner = new Map<string, string>();
  const epsMismatch: string[] = [];
  try {
    for (const layer of leafLayers(model)) {
      const params = torchParams(layer);
      if (!params.length) continue;
      const path = modulePath(layer.name, options.mapping);
      for (const p of params) {
        const key = joinKey(path, p.key);
        if (owner.has(key))
          throw new Error(`'${key}' would load into both layer '${owner.get(key)}' and layer '${layer.name}'; give one a mapping`);
        owner.set(key, layer.name);
        const t = stateDict[key];
        if (!t) {
          missing.push(key);
          continue;
        }
        assignments.push([p.variable, torchTensorToLayer(p, t, key, layer)]);
        loaded.push(key);
      }
      const eps = (layer as unknown as { epsilon?: number }).epsilon;
      if (layer.getClassName() === 'BatchNormalization' && eps !== undefined && Math.abs(eps - TORCH_BATCH_NORM_EPS) > 1e-12)
        epsMismatch.push(`'${layer.name}' (${eps})`);
    }
    const unexpected = Object.keys(stateDict).filter((k) => !owner.has(k) && !isNumBatchesTracked(k));
    if (strict && (missing.length || unexpected.length))
      throw new Error(
        `loadTorchStateDict: ${missing.length} missing and ${unexpected.length} unexpected keys (nothing was loaded)` +
          (missing.length ? `\n  missing: ${missing.join(', ')}` : '') +
          (unexpected.length ? `\n  unexpected: ${unexpected.join(', ')}` : '') +
          `\n  (pass strict: false to load the keys that match, or a mapping from layer names to module paths)`,
      );
    for (const [variable, value] of assignments) variable.write(value);
    if (epsMismatch.length)
      warn(
        `loadTorchStateDict: PyTorch's BatchNorm uses eps = 1e-5 by default, but these tfjs BatchNormalization layers use another epsilon: ${epsMismatch.join(', ')}. ` +
          `Unless the PyTorch model set that eps, build them with epsilon: 1e-5 (or use layers.torchBatchNorm), or their outputs will differ.`,
      );
    return { loaded, missing, unexpected };
  } finally {
    tf.dispose(assignments.map(([, v]) => v));
  }
}

export interface ExportTorchStateDictOptions {
  /** Module path of each layer (default: the layer name with `/` → `.`). */
  mapping?: ModuleMapping;
  /** Add `<bn>.num_batches_tracked` = 0 (int32) beside each batch norm's running statistics, as PyTorch's own state_dicts have. */
  includeNumBatchesTracked?: boolean;
}

/** The model's weights as a PyTorch state_dict (official names and layouts), so training can continue in PyTorch. */
export function exportTorchStateDict(model: tfl.LayersModel, options: ExportTorchStateDictOptions = {}): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  const owner = new Map<string, string>();
  try {
    for (const layer of leafLayers(model)) {
      const path = modulePath(layer.name, options.mapping);
      for (const p of torchParams(layer)) {
        const key = joinKey(path, p.key);
        if (owner.has(key))
          throw new Error(`exportTorchStateDict: layers '${owner.get(key)}' and '${layer.name}' both give '${key}'; give one a mapping`);
        owner.set(key, layer.name);
        out[key] = tf.tidy(() => p.toTorch(p.variable.read()));
        if (options.includeNumBatchesTracked && key.endsWith('running_var'))
          out[key.slice(0, -'running_var'.length) + 'num_batches_tracked'] = tf.scalar(0, 'int32');
      }
    }
  } catch (e) {
    tf.dispose(Object.values(out));
    throw e;
  }
  return out;
}

// ---- plain-data form used by the golden-vector tests (one layer's state_dict without a model) ----

/** A tensor as plain data: shape plus flat row-major values (as in ../shared/golden/golden.json). */
export interface PlainTensor {
  shape: number[];
  data: ArrayLike<number>;
}

export type TorchModuleName = 'AconA' | 'AconB' | 'AconC' | 'MetaAconC';

/** state_dict keys of each official module in our `getWeights()` order (trainable, then BN running statistics); `torchParams` gives the same keys. */
export const TORCH_WEIGHT_ORDER: Record<TorchModuleName, string[]> = {
  AconA: ['beta'],
  AconB: ['p', 'beta'],
  AconC: ['p1', 'p2', 'beta'],
  MetaAconC: [
    'p1',
    'p2',
    'fc1.weight',
    'fc1.bias',
    'bn1.weight',
    'bn1.bias',
    'fc2.weight',
    'fc2.bias',
    'bn2.weight',
    'bn2.bias',
    'bn1.running_mean',
    'bn1.running_var',
    'bn2.running_mean',
    'bn2.running_var',
  ],
};

/** One state_dict entry of an ACON module in our layout: a 1×1 conv `[out,in,1,1]` → dense `[in,out]`, anything else `[C]`. */
export function torchToLayerTensor(key: string, t: PlainTensor): tf.Tensor {
  return tf.tidy(() => {
    const torch = tf.tensor(Float32Array.from(t.data), t.shape, 'float32');
    const [o, i, kh, kw] = t.shape;
    if (t.shape.length === 4 && key.endsWith('.weight') && kh === 1 && kw === 1) return kernelAs1x1Conv([i, o]).toLayer(torch);
    return perChannel([torch.size]).toLayer(torch);
  });
}

/**
 * Our weights for one layer from its state_dict (keys relative to its module): for a built `layer`,
 * by `torchParams` with shape checks; for a module name, the plain-data form of the golden vectors.
 */
export function layerWeightsFromTorch(module: TorchModuleName, stateDict: Record<string, PlainTensor>): tf.Tensor[];
export function layerWeightsFromTorch(layer: tfl.layers.Layer, stateDict: Record<string, tf.Tensor>, prefix?: string): tf.Tensor[];
export function layerWeightsFromTorch(
  target: TorchModuleName | tfl.layers.Layer,
  stateDict: Record<string, PlainTensor> | Record<string, tf.Tensor>,
  prefix = '',
): tf.Tensor[] {
  if (typeof target === 'string') {
    const sd = stateDict as Record<string, PlainTensor>;
    return TORCH_WEIGHT_ORDER[target].map((key) => {
      const t = sd[key];
      if (!t) throw new Error(`${target}: state_dict has no '${key}' (has ${Object.keys(sd).join(', ')})`);
      return torchToLayerTensor(key, t);
    });
  }
  return layerWeightsFromStateDict(target, stateDict as Record<string, tf.Tensor>, prefix);
}
