/** `acon compare` end to end on a tiny slice of the bundled sample, and its command-line errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResults } from '../../src/results/schema.js';
import { loadModel } from '../../src/node/model_files.js';
import { useBackend } from '../helpers/backends.js';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

function acon(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', main, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('acon compare', () => {
  it('trains every activation and seed on a tiny slice, writes results.json and the report, and resumes', async () => {
    const out = mkdtempSync(join(tmpdir(), 'acon-compare-'));
    const args = [
      'compare',
      '--data',
      'sample',
      '--per-class',
      '12',
      '--epochs',
      '2',
      '--seeds',
      '2',
      '--repeats',
      '1,1,1',
      '--batch-size',
      '20',
      '--activations',
      'relu,aconC,metaAconC',
      '--workers',
      '2',
      '--out',
      out,
    ];
    const r = await acon(args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /activation\s+test error % \(95% CI\)/);
    assert.match(r.stdout, /metaAconC\s+\d+\.\d\d ± \d+\.\d\d\s+2/);
    assert.match(r.stderr, /backend wasm/);
    const results = parseResults(readFileSync(join(out, 'results.json'), 'utf8'));
    assert.deepEqual(
      results.runs.map((run) => `${run.activation}/${run.seed}`),
      ['relu/1', 'aconC/1', 'metaAconC/1', 'relu/2', 'aconC/2', 'metaAconC/2'],
    );
    for (const run of results.runs) {
      assert.equal(run.epochs.length, 2);
      assert.ok(run.params > 0 && run.flops > 0 && run.imagesPerSec > 0);
    }
    const meta = results.runs.find((run) => run.activation === 'metaAconC')!;
    assert.equal(meta.layers.at(-1)!.betaPerSample!.length, 7);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const id of ['summary', 'curves', 'layers', 'beta-distribution', 'family'])
      assert.ok(html.includes(`id="${id}"`), `report section ${id}`);
    for (const run of results.runs) assert.ok(existsSync(join(out, 'checkpoints', `${run.activation}_seed${run.seed}.ckpt`)));
    // The saved model of a run loads and gives the recorded test error's predictions shape.
    await useBackend('cpu');
    const model = await loadModel(join(out, meta.modelDir!));
    assert.deepEqual(model.outputs[0].shape, [null, 10]);
    assert.ok(model.layers.some((l) => l.getClassName() === 'MetaAconC'));

    // Everything is checkpointed: --resume finds every run complete and reproduces the same numbers.
    const again = await acon([...args, '--resume', '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /resumed relu seed 1 after epoch 2/);
    const resumed = JSON.parse(again.stdout) as typeof results;
    assert.deepEqual(
      resumed.runs.map((run) => run.epochs),
      results.runs.map((run) => run.epochs),
    );
  });

  it('--help documents every flag; bad flags and values are usage errors that name them', async () => {
    const help = await acon(['compare', '--help']);
    assert.equal(help.code, 0);
    for (const flag of [
      'activations',
      'model',
      'epochs',
      'seeds',
      'data',
      'out',
      'resume',
      'json',
      'workers',
      'backend',
      'download',
      'label-smoothing',
      'weight-decay',
    ]) {
      assert.match(help.stdout, new RegExp(`--${flag}\\b`), `--${flag} in help`);
    }
    const unknown = await acon(['compare', '--epoch', '3']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown flag --epoch/);
    const badInt = await acon(['compare', '--epochs', 'three']);
    assert.match(badInt.stderr, /--epochs must be an integer, got 'three'/);
    const badModel = await acon(['compare', '--model', 'vgg']);
    assert.match(badModel.stderr, /--model must be one of shufflenet, resnet, got 'vgg'/);
    const badAct = await acon(['compare', '--activations', 'relu,gelu', '--data', 'sample', '--per-class', '2']);
    assert.equal(badAct.code, 1);
    assert.match(badAct.stderr, /unknown activation 'gelu'/);
    const noData = await acon(['train', '--data', '/nonexistent/fmnist']);
    assert.match(noData.stderr, /\/nonexistent\/fmnist does not exist/);
  });
});
