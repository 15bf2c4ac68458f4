/**
 * How each thread builds its model replica. A `tf.LayersModel` cannot be posted to a worker, so
 * every thread imports the same factory and calls it with the same JSON options.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LayersModel } from '@tensorflow/tfjs-layers';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface ModelFactorySpec {
  /** A `file:` URL, an absolute path, or a package specifier (relative paths are ambiguous: use `new URL('./m.js', import.meta.url)`). */
  module: string | URL;
  /** Name of the export `(options) => LayersModel | Promise<LayersModel>`; one input `[batch, ...]`, one output of logits `[batch, classes]`. */
  exportName: string;
  options?: Json;
}

/** A spec that can be posted to a worker: `module` is a URL string or package specifier. */
export interface ResolvedModelSpec {
  module: string;
  exportName: string;
  options?: Json;
}

export function resolveModelSpec(spec: ModelFactorySpec): ResolvedModelSpec {
  const m = spec.module instanceof URL ? spec.module.href : spec.module;
  if (m.startsWith('.')) throw new Error(`acon: model module '${m}' is relative; pass an absolute path or a URL`);
  return { module: isAbsolute(m) ? pathToFileURL(m).href : m, exportName: spec.exportName, options: spec.options };
}

/** True if the module is TypeScript source, which a worker can only load through tsx. */
export function isTypeScriptModule(spec: ResolvedModelSpec): boolean {
  return spec.module.startsWith('file:') && /\.[cm]?tsx?$/.test(new URL(spec.module).pathname);
}

export async function buildModel(spec: ResolvedModelSpec): Promise<LayersModel> {
  const mod = (await import(spec.module)) as Record<string, unknown>;
  const factory = mod[spec.exportName];
  if (typeof factory !== 'function') throw new Error(`acon: model module ${spec.module} has no function export '${spec.exportName}'`);
  const model = (await factory(spec.options)) as LayersModel;
  if (typeof model?.apply !== 'function' || !Array.isArray(model.trainableWeights)) {
    throw new Error(`acon: ${spec.module}#${spec.exportName} did not return a tf.LayersModel`);
  }
  return model;
}
