/** results.json: every recorded setting survives a round trip; version 1 files load and render. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  mergeResults,
  parseResults,
  RESULTS_VERSION,
  SETTING_FIELDS,
  SETTING_NAMES,
  settingsDifferences,
  type ResultsFile,
} from '../../src/results/schema.js';
import { renderReport } from '../../src/report/index.js';
import { makeResults } from '../report/fixture.js';

const OLD = fileURLToPath(new URL('../../docs/results/fashion-mnist-full/results.json', import.meta.url));

describe('results.json schema', () => {
  it('round trip: every recorded setting comes back, and the report shows each of them', () => {
    const r = makeResults({ seeds: [1, 2] });
    r.config.data.perClass = { train: 12, test: 2 };
    const back = parseResults(JSON.stringify(r));
    assert.deepEqual(back, JSON.parse(JSON.stringify(r)));
    assert.equal(back.version, RESULTS_VERSION);
    for (const name of SETTING_NAMES) assert.notEqual(back.config[name], undefined, `config.${name} recorded`);
    const html = renderReport(back);
    const row = (label: string, value: string) =>
      assert.ok(html.includes(`<tr><th>${label}</th><td>${value}</td></tr>`), `report row ${label}: ${value}`);
    row(SETTING_FIELDS.repeats.label, '1, 2, 1');
    row(SETTING_FIELDS.widthMultiplier.label, '0.5');
    row(SETTING_FIELDS.learningRate.label, '0.1');
    row(SETTING_FIELDS.batchSize.label, '128');
    row(SETTING_FIELDS.labelSmoothing.label, '0.1');
    row(SETTING_FIELDS.weightDecay.label, '0.00004');
    row(SETTING_FIELDS.momentum.label, '0.9');
    row(SETTING_FIELDS.epochs.label, '6');
    row('Seeds', '1, 2');
    row('Data files (SHA-256)', r.config.data.sha256!);
    row('Backend', 'wasm, 4 workers');
    row('acon', `0.2.0, commit ${r.environment.commit}`);
    assert.match(html, /the first 12 training and 2 test images of each class/);
  });

  it('names the first bad field', () => {
    const r = makeResults();
    assert.throws(
      () => parseResults(JSON.stringify({ ...r, config: { ...r.config, learningRate: 'fast' } })),
      /config\.learningRate must be a number/,
    );
    assert.throws(
      () => parseResults(JSON.stringify({ ...r, config: { ...r.config, repeats: [1, 'x'] } })),
      /config\.repeats\[1\] must be a number/,
    );
    const { workers: _w, ...noWorkers } = r.runs[0];
    assert.throws(() => parseResults(JSON.stringify({ ...r, runs: [noWorkers] })), /runs\[0\]\.workers must be a number/);
    assert.throws(() => parseResults(JSON.stringify({ ...r, version: 7 })), /version must be 1 or 2/);
  });

  it('the version 1 file in docs/results loads (backend and workers move to each run) and renders', () => {
    const old = parseResults(readFileSync(OLD, 'utf8'));
    assert.equal(old.version, RESULTS_VERSION);
    assert.equal(old.runs.length, 12);
    for (const run of old.runs) assert.deepEqual([run.backend, run.workers], ['wasm', 2]);
    assert.equal(old.config.repeats, undefined);
    const html = renderReport(old);
    assert.ok(html.includes(`<tr><th>${SETTING_FIELDS.repeats.label}</th><td>not recorded (older results.json)</td></tr>`));
    assert.ok(html.includes('<tr><th>Backend</th><td>wasm, 2 workers</td></tr>'));
    assert.match(html, /Fashion-MNIST|fashion-mnist/);
  });

  it('differences name the flag, the new value and the old one', () => {
    const a = makeResults().config;
    assert.deepEqual(settingsDifferences(a, { ...a }), []);
    assert.deepEqual(settingsDifferences(a, { ...a, learningRate: 0.05, repeats: [4, 8, 4] }), [
      '--repeats 4,8,4 (was 1,2,1)',
      '--lr 0.05 (was 0.1)',
    ]);
    assert.deepEqual(settingsDifferences(a, { ...a, data: { ...a.data, sha256: 'ff' } }), [
      `data files (SHA-256) ff (was ${a.data.sha256})`,
    ]);
  });

  it('merging: runs of other activations are added, the same activation and seed replaced, other settings refused', () => {
    const first = makeResults({ activations: ['relu'], seeds: [1, 2] });
    const second: ResultsFile = makeResults({ activations: ['aconC', 'relu'], seeds: [2] });
    second.runs[1].finalTestError = 0.5;
    const merged = mergeResults(first, second);
    assert.deepEqual(merged.config.activations, ['relu', 'aconC']);
    assert.deepEqual(
      merged.runs.map((r) => `${r.activation}/${r.seed}/${r.finalTestError === 0.5 ? 'new' : 'old'}`),
      ['relu/1/old', 'aconC/2/old', 'relu/2/new'],
    );
    assert.throws(
      () => mergeResults(first, { ...second, config: { ...second.config, epochs: 3 } }, 'out/results.json'),
      /out\/results\.json holds runs with other settings: --epochs 3 \(was 6\)/,
    );
  });

  it('is neutral: the schema imports nothing, and the report nothing from the trainer or the CLI', () => {
    const src = (rel: string) => fileURLToPath(new URL(`../../src/${rel}`, import.meta.url));
    const imports = (file: string) => [...readFileSync(file, 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    assert.deepEqual(imports(src('results/schema.ts')), []);
    for (const name of readdirSync(src('report')))
      for (const from of imports(src(`report/${name}`)))
        assert.doesNotMatch(from, /\.\.\/(train|cli|node)\//, `src/report/${name} imports ${from}`);
  });
});
