/**
 * The official checkpoints in ../shared/interop/zoo (generated with the nmaac/acon code): each
 * NAME.json says how to build the model; the zoo model built from it loads NAME.safetensors (and
 * NAME.pth when present) with no mapping, reproduces the eval-mode logits of NAME.io.safetensors to
 * ≤ 1e-4 relative (max |Δ| / max |logit|) on every backend, and exports the same state_dict back,
 * bit-identically through safetensors.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, before, after } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { interop, zoo } from '../../src/index.js';
import { BACKENDS, useBackend } from '../helpers/backends.js';

const DIR = fileURLToPath(new URL('../../../shared/interop/zoo/', import.meta.url));
const NAMES = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .sort();

interface Spec {
  build: { zoo: 'shuffleNetV2' | 'resnet' } & Record<string, unknown>;
  params: number;
  keys: number;
  logits_shape: number[];
}

/** Builds the zoo model NAME.json describes: `build.zoo` names the builder, the other fields are its options. */
function buildFromSpec(spec: Spec, file: string): tfl.LayersModel {
  const { zoo: builder, ...options } = spec.build;
  if (builder === 'shuffleNetV2') return zoo.shuffleNetV2(options as unknown as zoo.ShuffleNetV2Options);
  if (builder === 'resnet') return zoo.resnet(options as unknown as zoo.ResNetOptions);
  throw new Error(`${file}: build.zoo '${String(builder)}' is not a zoo builder (shuffleNetV2, resnet)`);
}

/** max |actual − expected| / max |expected|. */
function relativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0] / tf.max(tf.abs(expected)).dataSync()[0]);
}

const bytesOf = (t: tf.Tensor) => new Uint8Array((t.dataSync() as Float32Array).slice().buffer);

describe('official checkpoints', () => {
  it('../shared/interop/zoo has checkpoints to test', () => assert.ok(NAMES.length >= 2, `found ${NAMES.join(', ')}`));

  for (const name of NAMES) {
    const spec = JSON.parse(readFileSync(`${DIR}${name}.json`, 'utf8')) as Spec;
    for (const backend of BACKENDS) {
      describe(`${name} on ${backend}`, () => {
        let model: tfl.LayersModel;
        let stateDict: Record<string, tf.Tensor>;
        let x: tf.Tensor, logits: tf.Tensor;
        before(async () => {
          await useBackend(backend);
          model = buildFromSpec(spec, `${name}.json`);
          stateDict = interop.readSafetensors(readFileSync(`${DIR}${name}.safetensors`));
          const io = interop.readSafetensors(readFileSync(`${DIR}${name}.io.safetensors`));
          x = tf.transpose(io.x, [0, 2, 3, 1]); // NCHW → NHWC
          logits = io.logits;
          io.x.dispose();
        });
        after(() => {
          model.dispose();
          tf.dispose([...Object.values(stateDict), x, logits]);
        });

        it(`builds with ${spec.params} values in ${spec.keys} state_dict entries and loads ${name}.safetensors with no mapping`, () => {
          assert.equal(model.countParams(), spec.params);
          assert.equal(Object.keys(stateDict).length, spec.keys);
          const { loaded, missing, unexpected } = interop.loadTorchStateDict(model, stateDict);
          assert.deepEqual([missing, unexpected], [[], []]);
          assert.equal(loaded.length, spec.keys);
        });

        it('reproduces the official logits to ≤ 1e-4 relative', (t) => {
          const y = model.predict(x) as tf.Tensor;
          assert.deepEqual(y.shape, spec.logits_shape);
          const err = relativeError(y, logits);
          t.diagnostic(`max |Δ| / max |logit| = ${err.toExponential(2)}`);
          assert.ok(err <= 1e-4, `relative error ${err}`);
        });

        it('exports the loaded state_dict bit-identically, and writeSafetensors → readSafetensors → write again is bit-identical', () => {
          const exported = interop.exportTorchStateDict(model);
          assert.deepEqual(Object.keys(exported).sort(), Object.keys(stateDict).sort());
          for (const [key, t] of Object.entries(stateDict)) {
            assert.deepEqual(exported[key].shape, t.shape, `${key}: shape`);
            assert.deepEqual(bytesOf(exported[key]), bytesOf(t), `${key}: values`);
          }
          const bytes = interop.writeSafetensors(exported);
          const reread = interop.readSafetensors(bytes);
          assert.deepEqual(interop.writeSafetensors(reread), bytes);
          for (const key of Object.keys(stateDict)) assert.deepEqual(bytesOf(reread[key]), bytesOf(stateDict[key]), `${key}: re-read`);
          tf.dispose([...Object.values(exported), ...Object.values(reread)]);
        });

        if (existsSync(`${DIR}${name}.pth`)) {
          it(`${name}.pth (torch.save zip) loads through readTorchCheckpoint and gives the same logits`, async (t) => {
            const fresh = buildFromSpec(spec, `${name}.json`);
            const checkpoint = await interop.readTorchCheckpoint(readFileSync(`${DIR}${name}.pth`));
            const { missing, unexpected } = interop.loadTorchStateDict(fresh, checkpoint);
            assert.deepEqual([missing, unexpected], [[], []]);
            const err = relativeError(fresh.predict(x) as tf.Tensor, logits);
            t.diagnostic(`max |Δ| / max |logit| = ${err.toExponential(2)}`);
            assert.ok(err <= 1e-4, `relative error ${err}`);
            tf.dispose(Object.values(checkpoint));
            fresh.dispose();
          });
        }
      });
    }
  }
});
