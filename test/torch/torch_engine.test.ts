/**
 * `acon compare --engine torch` end to end (torchrun, 2 processes, gloo on CPU) on a tiny slice of
 * the bundled sample: results.json in acon's schema, the report, and PyTorch → Node: the models it
 * trained load into acon's networks with interop.loadTorchStateDict and give the twin's logits.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { findTorchPython } from '../../src/cli/torch_engine.js';
import { loadFashionMnist, normalizedSplit } from '../../src/data/dataset.js';
import { loadTorchStateDict } from '../../src/interop/state_dict.js';
import { readSafetensorsFile } from '../../src/interop/safetensors_file.js';
import { createModel } from '../../src/models/factory.js';
import { initNodeBackend } from '../../src/node/backend.js';
import { parseResults } from '../../src/results/schema.js';
import { relativeError, torchPythonOrSkip, twinLogits } from './python.js';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const { python, skip } = torchPythonOrSkip();

function acon(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', main, ...args], { env, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('the torch engine', () => {
  it('names the packages to install when no python has torch', () => {
    assert.throws(
      () => findTorchPython({ ACON_PYTHON: '/nonexistent/python3' }),
      (e: Error) =>
        /\/nonexistent\/python3 \(ACON_PYTHON\): not found/.test(e.message) &&
        /python3-torch/.test(e.message) &&
        /pip install torch/.test(e.message),
    );
  });

  it('acon compare --engine torch fails with that message and exit code 1', async () => {
    const r = await acon(['compare', '--engine', 'torch', '--data', 'sample', '--out', mkdtempSync(join(tmpdir(), 'acon-nt-'))], {
      ...process.env,
      ACON_PYTHON: '/nonexistent/python3',
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /needs a Python with PyTorch.*python3-torch/);
  });

  describe('with PyTorch', { skip }, () => {
    const out = mkdtempSync(join(tmpdir(), 'acon-torch-compare-'));
    const common = ['--data', 'sample', '--per-class', '6', '--epochs', '2', '--seeds', '1', '--repeats', '1,1,1', '--batch-size', '20'];
    let stderr = '';
    before(async () => {
      const r = await acon([
        'compare',
        '--engine',
        'torch',
        '--nproc',
        '2',
        '--activations',
        'relu,aconC,metaAconC',
        ...common,
        '--out',
        out,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /metaAconC\s+\d+\.\d\d\s+1/);
      stderr = r.stderr;
    });

    it('trains with 2 processes, streams progress, writes results.json and the report', () => {
      assert.match(stderr, /engine: PyTorch [\d.a-z]+, 2 processes \(gloo, cpu\)/);
      assert.match(stderr, /\[aconC seed 1\] epoch 2\/2: train loss \d\.\d{4}, test error/);
      const results = parseResults(readFileSync(join(out, 'results.json'), 'utf8'));
      assert.deepEqual(results.config.activations, ['relu', 'aconC', 'metaAconC']);
      assert.deepEqual(
        results.runs.map((r) => r.workers),
        [2, 2, 2],
      );
      assert.equal(results.config.data.trainCount, 60);
      assert.deepEqual(
        results.runs.map((r) => [r.activation, r.seed, r.epochs.length, r.layers.length > 0]),
        [
          ['relu', 1, 2, false],
          ['aconC', 1, 2, true],
          ['metaAconC', 1, 2, true],
        ],
      );
      const meta = results.runs[2].layers[0];
      assert.equal(meta.kind, 'MetaAconC');
      assert.equal(meta.name, 'stem/act');
      assert.equal(meta.beta.length, 24);
      const html = readFileSync(join(out, 'report.html'), 'utf8');
      assert.match(html, /<svg/);
      assert.match(html, /stage2\/block1\/act1/);
      assert.match(html, /gloo/);
    });

    it('its trained models load into acon with loadTorchStateDict and give the same logits as in PyTorch', async (t) => {
      await initNodeBackend({ backend: 'wasm', log: () => {} });
      const data = await loadFashionMnist({ source: 'sample', perClass: { train: 1, test: 2 } });
      const x = tf.tensor4d(normalizedSplit(data.test).images.subarray(0, 8 * 784), [8, 28, 28, 1]);
      for (const activation of ['aconC', 'metaAconC']) {
        const file = join(out, 'models', `${activation}_seed1.safetensors`);
        assert.ok(existsSync(file), file);
        const model = createModel({ model: 'shufflenet', activation, repeats: [1, 1, 1], seed: 99 });
        const sd = readSafetensorsFile(file);
        const { missing, unexpected } = loadTorchStateDict(model, sd);
        assert.deepEqual([missing, unexpected], [[], []]);
        tf.dispose(Object.values(sd));
        const ours = model.predict(x) as tf.Tensor2D;
        const theirs = twinLogits(python!.python, out, { model: 'shufflenet', activation, repeats: [1, 1, 1] }, file, x);
        const err = relativeError(theirs, ours);
        assert.ok(err <= 1e-4, `${activation}: logits differ by ${err.toExponential(2)} (relative)`);
        t.diagnostic(`${activation}: relative error ${err.toExponential(2)}`);
        tf.dispose([ours, theirs]);
        model.dispose();
      }
      x.dispose();
    });
  });
});
