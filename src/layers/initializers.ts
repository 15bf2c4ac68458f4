/**
 * Initial values of ACON parameters: the official code's default, named presets, or any tfjs
 * initializer (instance, identifier such as 'ones' / 'glorot_uniform', or a serialized
 * `{className, config}`), with the serialization that makes `getConfig()` round-trip.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export type Initializer = ReturnType<typeof tfl.initializers.ones>;
/** What a user may pass for one weight. */
export type InitializerLike = Initializer | string | tf.serialization.ConfigDict;

/**
 * Named starting points for p1, p2 (p for ACON-B) and β:
 * - `'official'` (default): p1, p2 ~ N(0, 1), β = 1, as nmaac/acon (ACON-B: p = 0.25 as PReLU, β = 1).
 * - `'swish'`: p1 = 1, p2 = 0, β = 1, i.e. x·σ(x).
 * - `'relu-like'`: p1 = 1, p2 = 0, β = 10: within 0.028 of max(x, 0) everywhere.
 */
export type AconPreset = 'official' | 'swish' | 'relu-like';
export const ACON_PRESETS: readonly AconPreset[] = ['official', 'swish', 'relu-like'];

type ParamName = 'p1' | 'p2' | 'p' | 'beta';

const PRESET_VALUES: Record<AconPreset, Record<ParamName, number | 'normal'>> = {
  official: { p1: 'normal', p2: 'normal', p: 0.25, beta: 1 },
  swish: { p1: 1, p2: 0, p: 0, beta: 1 },
  'relu-like': { p1: 1, p2: 0, p: 0, beta: 10 },
};

export function checkPreset(layer: string, preset: unknown): AconPreset {
  if (preset === undefined) return 'official';
  if (!ACON_PRESETS.includes(preset as AconPreset)) {
    throw new Error(`${layer}: unknown preset '${String(preset)}'; expected one of ${ACON_PRESETS.map((p) => `'${p}'`).join(', ')}`);
  }
  return preset as AconPreset;
}

export function presetInitializer(preset: AconPreset, param: ParamName): Initializer {
  const v = PRESET_VALUES[preset][param];
  return v === 'normal' ? tfl.initializers.randomNormal({ mean: 0, stddev: 1 }) : tfl.initializers.constant({ value: v });
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function isInitializer(v: unknown): v is Initializer {
  const o = v as Initializer;
  return !!o && typeof o === 'object' && typeof o.apply === 'function' && typeof o.getClassName === 'function';
}

/** Resolves an initializer given as instance, identifier or serialized config. */
export function resolveInitializer(layer: string, field: string, init: InitializerLike): Initializer {
  if (isInitializer(init)) return init;
  if (typeof init === 'string') {
    const factory = (tfl.initializers as unknown as Record<string, unknown>)[camel(init)];
    if (typeof factory !== 'function' || camel(init) === 'Initializer') {
      throw new Error(`${layer}: ${field} '${init}' is not a tfjs initializer (e.g. 'ones', 'zeros', 'randomNormal', 'glorotUniform')`);
    }
    return (factory as (args: object) => Initializer)({});
  }
  if (init && typeof init === 'object' && typeof init.className === 'string') {
    const entry = tf.serialization.SerializationMap.getMap().classNameMap[init.className];
    if (!entry) throw new Error(`${layer}: ${field} names unknown initializer class '${init.className}'`);
    const [cls, fromConfig] = entry;
    return fromConfig(cls, (init.config ?? {}) as tf.serialization.ConfigDict) as Initializer;
  }
  throw new Error(`${layer}: ${field} must be a tfjs Initializer, an identifier string or {className, config}`);
}

export function serializeInitializer(init: Initializer): tf.serialization.ConfigDict {
  return { className: init.getClassName(), config: init.getConfig() };
}
