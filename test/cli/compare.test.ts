/** `acon compare` end to end on a tiny slice of the bundled sample, and its command-line errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResults } from '../../src/results/schema.js';
import { loadModel } from '../../src/node/model_files.js';
import { readCheckpointHeader } from '../../src/train/checkpoint.js';
import { LOCK_NAME } from '../../src/util/output_dir.js';
import { useBackend } from '../helpers/backends.js';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

function acon(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', main, ...args], { maxBuffer: 64 << 20, env }, (err, stdout, stderr) =>
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

    // Rerunning without --resume would lose the checkpoints: refused before any training, naming them.
    const rerun = await acon(args);
    assert.equal(rerun.code, 1, rerun.stderr);
    assert.match(rerun.stderr, /not starting, to keep trained work:/);
    assert.ok(rerun.stderr.includes(`${join(out, 'checkpoints', 'relu_seed1.ckpt')} holds 2 trained epochs: pass --resume`), rerun.stderr);
    // --resume with another learning rate: refused, naming what differs.
    const otherLr = await acon([...args, '--resume', '--lr', '0.05']);
    assert.equal(otherLr.code, 1, otherLr.stderr);
    assert.match(otherLr.stderr, /relu_seed1\.ckpt holds 2 trained epochs of other settings: --lr 0\.05 \(was 0\.1\)/);

    // A writer killed mid-checkpoint left a temporary file: the next run removes it.
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const leftover = join(out, 'checkpoints', `.relu_seed1.ckpt.${dead}.1733000000000.tmp`);
    writeFileSync(leftover, 'partial');

    // Everything is checkpointed: --resume (with 1 worker: not part of a checkpoint's settings) finds
    // every run complete and reproduces the same numbers; --json=true is --json.
    const again = await acon([...args.map((a, i) => (args[i - 1] === '--workers' ? '1' : a)), '--resume', '--json=true']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /resumed relu seed 1 after epoch 2/);
    assert.match(again.stderr, /removed 1 temporary file left by interrupted writers/);
    assert.ok(!existsSync(leftover));
    const resumed = JSON.parse(again.stdout) as typeof results;
    assert.deepEqual(
      resumed.runs.map((run) => run.epochs),
      results.runs.map((run) => run.epochs),
    );
    assert.deepEqual([...new Set(resumed.runs.map((run) => run.workers))], [1]);

    // Every setting is recorded.
    assert.deepEqual(results.config.repeats, [1, 1, 1]);
    assert.equal(results.config.batchSize, 20);
    assert.deepEqual(results.config.data.perClass, { train: 12, test: 2 });
    assert.match(results.config.data.sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.equal(results.environment.version, JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);

    // Another activation trained into the same directory in turn: added to results.json, not replacing it.
    const trainArgs = args.filter(
      (_, i) => !['--activations', '--seeds'].includes(args[i]) && !['--activations', '--seeds'].includes(args[i - 1]),
    );
    const swish = await acon(['train', ...trainArgs.slice(1), '--activation', 'swish', '--seed', '1']);
    assert.equal(swish.code, 0, swish.stderr);
    const merged = parseResults(readFileSync(join(out, 'results.json'), 'utf8'));
    assert.deepEqual(
      merged.runs.map((run) => `${run.activation}/${run.seed}`),
      ['relu/1', 'aconC/1', 'metaAconC/1', 'relu/2', 'aconC/2', 'metaAconC/2', 'swish/1'],
    );
    assert.deepEqual(merged.config.activations, ['relu', 'aconC', 'metaAconC', 'swish']);
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

  it('--out: a file, /sys, and a directory another acon holds are refused before any training, naming them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acon-out-'));
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    const quick = ['--data', 'sample', '--per-class', '2', '--epochs', '1', '--batch-size', '4'];
    const onFile = await acon(['train', ...quick, '--out', file]);
    assert.equal(onFile.code, 1);
    assert.match(onFile.stderr, new RegExp(`^acon: --out directory ${file} is a file, not a directory\n$`));
    const onSys = await acon(['train', ...quick, '--out', '/sys/acon-out']);
    assert.equal(onSys.code, 1);
    assert.match(onSys.stderr, /^acon: cannot (create|write to) --out directory \/sys\/acon-out: /);
    const held = join(dir, 'held');
    mkdirSync(held);
    writeFileSync(join(held, LOCK_NAME), JSON.stringify({ pid: process.pid, host: hostname(), command: 'acon compare', startedAt: 'now' }));
    const locked = await acon(['train', ...quick, '--out', held]);
    assert.equal(locked.code, 1);
    assert.match(locked.stderr, new RegExp(`${held} is in use by process ${process.pid} \\(acon compare, since now\\)`));
    assert.deepEqual(readdirSync(held), [LOCK_NAME]);
  });

  it('one acon: prefix for errors from deeper down and from the environment', async () => {
    const wd = await acon(['train', '--weight-decay', '-1']);
    assert.equal(wd.code, 2);
    assert.equal(wd.stderr, "acon train: --weight-decay must be ≥ 0, got '-1'\n");
    const env = await acon(['train', '--data', 'sample'], { ...process.env, ACON_BACKEND: 'bogus' });
    assert.equal(env.code, 2);
    assert.match(env.stderr, /^acon train: ACON_BACKEND must be one of .*, got 'bogus'\n$/);
  });

  it('Ctrl-C stops after the step, keeps the last checkpoint and prints the command that resumes', async () => {
    const out = mkdtempSync(join(tmpdir(), 'acon-sigint-'));
    const args = [
      'train',
      '--data',
      'sample',
      '--per-class',
      '12',
      '--epochs',
      '6',
      '--repeats',
      '1,1,1',
      '--batch-size',
      '20',
      '--workers',
      '1',
    ];
    const child = spawn(process.execPath, ['--import', 'tsx', main, ...args, '--out', out]);
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d;
        if (/epoch 1\/6:/.test(stderr) && !child.killed) child.kill('SIGINT');
      });
      child.on('close', (c) => resolve(c));
    });
    assert.equal(code, 130, stderr);
    assert.match(stderr, /interrupted; stopping after the current step/);
    const command = /Resume with:\n {2}(.*)\n/.exec(stderr)?.[1];
    assert.ok(command, stderr);
    assert.ok(command.endsWith(`--out ${out} --resume`), command);
    const header = readCheckpointHeader(join(out, 'checkpoints', 'aconC_seed1.ckpt'));
    assert.ok(header && header.epoch >= 1 && header.epoch < 6, `checkpoint after epoch ${header?.epoch}`);
    assert.ok(!existsSync(join(out, LOCK_NAME)), 'the lock is released');
    // The printed command, run as printed, continues and completes the run.
    const resumed = spawnSync('sh', ['-c', command], { encoding: 'utf8' });
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`resumed aconC seed 1 after epoch ${header.epoch}`));
    assert.equal(parseResults(readFileSync(join(out, 'results.json'), 'utf8')).runs[0].epochs.length, 6);
  });

  it('--json into a closed pipe ends quietly', async () => {
    const out = mkdtempSync(join(tmpdir(), 'acon-epipe-'));
    const args = ['train', '--data', 'sample', '--per-class', '4', '--epochs', '1', '--repeats', '1,1,1', '--batch-size', '8', '--json'];
    const child = spawn(process.execPath, ['--import', 'tsx', main, ...args, '--out', out]);
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|Error|at /);
    assert.ok(stderr.length < 2000, `${stderr.length} bytes on stderr`);
  });
});
