/**
 * The model factory that training threads import (a model cannot be posted to a worker, so each
 * thread builds it from these JSON options). Initialisation is reproducible: tfjs initializers
 * draw their seeds from `Math.random`, which is replaced by a seeded generator while building.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import '../layers/index.js';
import { buildModel, parseActivation, type ModelName } from './index.js';

export interface ModelFactoryOptions {
  model: ModelName;
  /** Activation spec string, e.g. `aconC` or `metaAconC:pixel`. */
  activation: string;
  widthMultiplier?: number;
  repeats?: number[];
  seed: number;
  [key: string]: unknown;
}

/** mulberry32: a small, fast, seedable generator of uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `fn` with `Math.random` drawing from a generator seeded by `seed`. */
export function withSeededMathRandom<T>(seed: number, fn: () => T): T {
  const original = Math.random;
  Math.random = seededRandom(seed);
  try {
    return fn();
  } finally {
    Math.random = original;
  }
}

export function createModel(options: ModelFactoryOptions): tfl.LayersModel {
  return withSeededMathRandom(options.seed, () => buildModel({
    model: options.model, activation: parseActivation(options.activation),
    widthMultiplier: options.widthMultiplier, repeats: options.repeats,
  }));
}
