/**
 * What a trained network's activations learned: p1, p2, β of every ACON layer, and for Meta-ACON
 * the β its generator produces for test images (mean per channel, and per sample for a few).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { MetaAconC } from '../layers/index.js';
import type { ActivationLayerRecord } from '../results/schema.js';

const ACON_KINDS = ['AconA', 'AconB', 'AconC', 'MetaAconC'] as const;
type AconKind = (typeof ACON_KINDS)[number];

const values = (t: tf.Tensor) => Array.from(t.dataSync());

/**
 * @param images test images `[M, ...]` for Meta-ACON's mean β; the first `perSample` rows also give
 *   `betaPerSample`.
 */
export function inspectActivations(model: tfl.LayersModel, images: tf.Tensor, perSample: number): ActivationLayerRecord[] {
  const layers = model.layers.filter((l) => (ACON_KINDS as readonly string[]).includes(l.getClassName()));
  const metas = layers.filter((l): l is MetaAconC => l instanceof MetaAconC);
  const metaInputs = metas.length
    ? tf.tidy(() => {
        const probe = tfl.model({ inputs: model.inputs, outputs: metas.map((l) => l.input as tfl.SymbolicTensor) });
        // One forward pass over all the images (predict's default runs batches of 32).
        const out = probe.predict(images, { batchSize: images.shape[0] });
        return Array.isArray(out) ? out : [out];
      })
    : [];
  const records = layers.map((layer, index): ActivationLayerRecord => {
    const kind = layer.getClassName() as AconKind;
    const w = layer.getWeights();
    const C = (layer.outputShape as number[]).at(-1)!;
    const fill = (v: number, n = w[0].size) => new Array<number>(n).fill(v);
    const base = { name: layer.name, index, kind };
    if (kind === 'AconA')
      return {
        ...base,
        p1: fill(1),
        p2: fill(0),
        beta: values(w[0]),
        betaPerSample: Array.from({ length: perSample }, () => values(w[0])),
      };
    if (kind === 'AconB')
      return {
        ...base,
        p1: fill(1),
        p2: values(w[0]),
        beta: values(w[1]),
        betaPerSample: Array.from({ length: perSample }, () => values(w[1])),
      };
    if (kind === 'AconC')
      return {
        ...base,
        p1: values(w[0]),
        p2: values(w[1]),
        beta: values(w[2]),
        betaPerSample: Array.from({ length: perSample }, () => values(w[2])),
      };
    const meta = layer as MetaAconC;
    const input = metaInputs[metas.indexOf(meta)];
    const { mean, samples } = tf.tidy(() => {
      const beta = meta.generateBeta(input, false);
      const perRow = tf.reshape(beta, [beta.shape[0], -1, beta.shape[beta.rank - 1]]);
      // Per channel: average over samples (and positions, for pixel-wise β); layer-wise β has one value.
      const byChannel = tf.mean(perRow, [1]);
      const mean = values(tf.mean(byChannel, 0));
      const samples = tf.unstack(tf.slice(byChannel, 0, Math.min(perSample, byChannel.shape[0]))).map(values);
      return { mean, samples };
    });
    return {
      ...base,
      granularity: meta.granularity,
      p1: values(w[0]),
      p2: values(w[1]),
      beta: mean.length === 1 ? fill(mean[0], C) : mean,
      betaPerSample: samples,
    };
  });
  tf.dispose(metaInputs);
  return records;
}
