/**
 * The model factory that training threads import (a model cannot be posted to a worker, so each
 * thread builds it from these JSON options). Initialisation is reproducible: tfjs initializers
 * draw their seeds from `Math.random`, which is replaced by a seeded generator while building.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import '../layers/index.js';
import { buildModel, parseActivation, type ModelName } from './index.js';
import { mulberry32 } from '../util/random.js';

export interface ModelFactoryOptions {
  model: ModelName;
  /** Activation spec string, e.g. `aconC` or `metaAconC:pixel`. */
  activation: string;
  widthMultiplier?: number;
  repeats?: number[];
  seed: number;
  [key: string]: unknown;
}

/** Runs `fn` with `Math.random` drawing from a generator seeded by `seed`. */
export function withSeededMathRandom<T>(seed: number, fn: () => T): T {
  const original = Math.random;
  Math.random = mulberry32(seed);
  try {
    return fn();
  } finally {
    Math.random = original;
  }
}

export function createModel(options: ModelFactoryOptions): tfl.LayersModel {
  return withSeededMathRandom(options.seed, () =>
    buildModel({
      model: options.model,
      activation: parseActivation(options.activation),
      widthMultiplier: options.widthMultiplier,
      repeats: options.repeats,
    }),
  );
}
