/**
 * The activation factory of the model builders: one spec string per experiment arm.
 * `relu | swish | aconA | aconB | aconC | metaAconC`, and `metaAconC:layer` / `metaAconC:pixel`
 * for the other Meta-ACON granularities (paper §4).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import * as acon from '../layers/index.js';
import { META_ACON_GRANULARITIES, type MetaAconGranularity } from '../layers/index.js';

export const ACTIVATION_KINDS = ['relu', 'swish', 'aconA', 'aconB', 'aconC', 'metaAconC'] as const;
export type ActivationKind = (typeof ACTIVATION_KINDS)[number];

export interface ActivationSpec {
  kind: ActivationKind;
  /** Meta-ACON only. */
  granularity?: MetaAconGranularity;
}

/** Parses `aconC`, `metaAconC`, `metaAconC:pixel`, …; the error lists what is accepted. */
export function parseActivation(spec: string): ActivationSpec {
  const [kind, granularity, ...rest] = spec.trim().split(':');
  const accepted = `${ACTIVATION_KINDS.join(', ')} (and metaAconC:${META_ACON_GRANULARITIES.join('|')})`;
  if (!(ACTIVATION_KINDS as readonly string[]).includes(kind) || rest.length)
    throw new Error(`unknown activation '${spec}'; expected one of ${accepted}`);
  if (granularity === undefined) return { kind: kind as ActivationKind };
  if (kind !== 'metaAconC' || !(META_ACON_GRANULARITIES as readonly string[]).includes(granularity))
    throw new Error(`unknown activation '${spec}'; expected one of ${accepted}`);
  return { kind: 'metaAconC', granularity: granularity as MetaAconGranularity };
}

export function formatActivation(spec: ActivationSpec): string {
  return spec.granularity && spec.granularity !== 'channel' ? `${spec.kind}:${spec.granularity}` : spec.kind;
}

/** A new activation layer for `spec`, named `name`. */
export function makeActivation(spec: ActivationSpec, name: string): tfl.layers.Layer {
  switch (spec.kind) {
    case 'relu':
      return tfl.layers.reLU({ name });
    case 'swish':
      return tfl.layers.activation({ activation: 'swish', name });
    case 'aconA':
      return acon.aconA({ name });
    case 'aconB':
      return acon.aconB({ name });
    case 'aconC':
      return acon.aconC({ name });
    case 'metaAconC':
      return acon.metaAconC({ name, granularity: spec.granularity ?? 'channel' });
  }
}
