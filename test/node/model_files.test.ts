/** Model files: the pair model.json + weights is replaced atomically; damaged files are errors naming them. */
import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadModel, saveModel } from '../../src/node/model_files.js';
import { useBackend } from '../helpers/backends.js';

const WRITER = fileURLToPath(new URL('./fixtures/save_then_crash.ts', import.meta.url));

function dense(units: number, value: number): tfl.LayersModel {
  const m = tfl.sequential({
    layers: [tfl.layers.dense({ units, inputShape: [4], kernelInitializer: 'zeros', biasInitializer: 'zeros' })],
  });
  m.setWeights(m.getWeights().map((w) => tf.fill(w.shape, value)));
  return m;
}

const weightsFile = (dir: string) => {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  return join(dir, json.weightsManifest[0].paths[0]);
};

describe('model files', () => {
  before(() => useBackend('cpu'));

  it('a process killed between writing the weights and model.json leaves the old pair, loadable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acon-model-'));
    const child = spawnSync(process.execPath, ['--import', 'tsx', WRITER, dir], { encoding: 'utf8' });
    assert.equal(child.signal, 'SIGKILL', `the writer was killed at the second file (${child.stderr})`);
    const model = await loadModel(dir);
    // The old model: 3 units, all weights 1 (the new one had 5 units, weights 2).
    assert.deepEqual(model.outputs[0].shape, [null, 3]);
    assert.deepEqual(Array.from(model.getWeights()[0].dataSync()).slice(0, 3), [1, 1, 1]);
    // The next save completes the pair and removes the orphaned weights file.
    await saveModel(dense(5, 2), dir);
    const next = await loadModel(dir);
    assert.deepEqual(next.outputs[0].shape, [null, 5]);
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.bin')).length, 1);
  });

  it('weights too short or too long: an error naming the file and both sizes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acon-model-'));
    await saveModel(dense(3, 1), dir);
    const file = weightsFile(dir);
    const bytes = readFileSync(file);
    assert.equal(bytes.length, 4 * (4 * 3 + 3));
    writeFileSync(file, bytes.subarray(0, 40));
    await assert.rejects(
      loadModel(dir),
      new RegExp(`${file} \\(40 bytes\\): too short: ${dir}/model.json lists weights of 60 bytes, the file holds 40`),
    );
    writeFileSync(file, Buffer.concat([bytes, Buffer.alloc(8)]));
    await assert.rejects(loadModel(dir), new RegExp(`${file} \\(68 bytes\\): too long: .* lists weights of 60 bytes, the file holds 68`));
  });

  it('a directory where a file should be: an error naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acon-model-'));
    await saveModel(dense(3, 1), dir);
    const file = weightsFile(dir);
    rmSync(file);
    mkdirSync(file);
    await assert.rejects(loadModel(dir), new RegExp(`${file} is a directory, not the weights file named in ${dir}/model.json`));
    const other = mkdtempSync(join(tmpdir(), 'acon-model-'));
    mkdirSync(join(other, 'model.json'));
    await assert.rejects(loadModel(other), new RegExp(`${other}/model.json: cannot read a model \\(it is a directory, not a file\\)`));
  });
});
