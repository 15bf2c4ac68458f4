/**
 * Node → PyTorch: models trained (or built) here, exported with interop.exportTorchStateDict and
 * written as safetensors, give the same logits in the PyTorch twin (python/acon_torch), to 1e-4
 * relative, for every activation of acon compare on both networks.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { exportTorchStateDict } from '../../src/interop/state_dict.js';
import { writeSafetensors } from '../../src/interop/safetensors.js';
import { createModel } from '../../src/models/factory.js';
import { initNodeBackend } from '../../src/node/backend.js';
import { loadModel } from '../../src/node/model_files.js';
import { loadFashionMnist, normalizedSplit } from '../../src/data/dataset.js';
import { trainRun } from '../../src/train/trainer.js';
import { writeFileAtomic } from '../../src/util/atomic_file.js';
import { relativeError, torchPythonOrSkip, twinLogits } from './python.js';

const { python, skip } = torchPythonOrSkip();

/** Running statistics away from 0 and 1, so that eval-mode BN matters in the comparison. */
function randomizeBatchNormStats(model: tfl.LayersModel, seed: number): void {
  for (const layer of model.layers)
    for (const w of layer.weights) {
      if (w.trainable) continue;
      const stat = w.originalName.endsWith('moving_variance')
        ? tf.randomUniform(w.shape as number[], 0.5, 2, 'float32', seed++)
        : tf.randomNormal(w.shape as number[], 0, 0.3, 'float32', seed++);
      w.write(stat);
      stat.dispose();
    }
}

function compare(model: tfl.LayersModel, twin: { model: string; activation: string; repeats: number[] }, x: tf.Tensor4D, dir: string) {
  const file = join(dir, `${twin.model}_${twin.activation.replace(':', '_')}.safetensors`);
  const sd = exportTorchStateDict(model);
  writeFileAtomic(file, writeSafetensors(sd));
  tf.dispose(Object.values(sd));
  const ours = model.predict(x) as tf.Tensor2D;
  const theirs = twinLogits(python!.python, dir, twin, file, x);
  const err = relativeError(ours, theirs);
  tf.dispose([ours, theirs]);
  assert.ok(err <= 1e-4, `${twin.model} ${twin.activation}: logits differ by ${err.toExponential(2)} (relative), more than 1e-4`);
  return err;
}

describe('Node → PyTorch round trip', { skip }, () => {
  let x: tf.Tensor4D;
  let data: Awaited<ReturnType<typeof loadFashionMnist>>;
  const dir = mkdtempSync(join(tmpdir(), 'acon-torch-rt-'));
  before(async () => {
    await initNodeBackend({ backend: 'wasm', log: () => {} });
    data = await loadFashionMnist({ source: 'sample', perClass: { train: 4, test: 2 } });
    const test = normalizedSplit(data.test);
    x = tf.tensor4d(test.images.subarray(0, 8 * 784), [8, 28, 28, 1]);
  });

  it('a ShuffleNetV2 with Meta-ACON trained here gives the same logits in the twin', async (t) => {
    const modelDir = join(dir, 'trained');
    const settings = {
      model: 'shufflenet' as const,
      activation: 'metaAconC',
      widthMultiplier: 0.5,
      repeats: [1, 1, 1],
      seed: 3,
      epochs: 1,
      batchSize: 10,
      learningRate: 0.05,
      momentum: 0.9,
      weightDecay: 4e-5,
      labelSmoothing: 0.1,
      workers: 1,
    };
    await trainRun(settings, { train: normalizedSplit(data.train), test: normalizedSplit(data.test) }, { modelDir, log: () => {} });
    const model = await loadModel(modelDir);
    t.diagnostic(
      `relative error ${compare(model, { model: 'shufflenet', activation: 'metaAconC', repeats: [1, 1, 1] }, x, dir).toExponential(2)}`,
    );
    model.dispose();
  });

  for (const [name, activation] of [
    ['shufflenet', 'relu'],
    ['shufflenet', 'swish'],
    ['shufflenet', 'aconA'],
    ['shufflenet', 'aconB'],
    ['shufflenet', 'aconC'],
    ['resnet', 'metaAconC'],
    ['resnet', 'aconC'],
    ['resnet', 'metaAconC:layer'],
    ['shufflenet', 'metaAconC:pixel'],
  ] as const)
    it(`${name} with ${activation}: the same logits in the twin`, (t) => {
      const repeats = [1, 1, 1];
      const model = createModel({ model: name, activation, repeats, seed: 5 });
      randomizeBatchNormStats(model, 11);
      t.diagnostic(`relative error ${compare(model, { model: name, activation, repeats }, x, dir).toExponential(2)}`);
      model.dispose();
    });
});
