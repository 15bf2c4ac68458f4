/**
 * The explorer's tests in Debian's Chromium (playwright-core): build web/ with Vite, serve it on
 * loopback, drive the page. Prints `explorer: N passed, N failed` and exits non-zero on failure.
 * Screenshots of each view at desktop and phone width go to test-output/explorer/ (git-ignored).
 *
 *   npm run test:explorer            # ACON_EXPLORER_ONLY=substring runs only the matching checks
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { aconC, aconCDerivativeBounds, aconCHard, aconCHardPartials, smoothMaximum } from '../../src/math/acon.js';
import { launchChromium, serveStatic, type StaticServer } from '../browser/chromium.js';
import { makeResults } from '../report/fixture.js';
import { EXPLORER_OUT_DIR } from '../../web/vite.config.js';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { layers as aconLayers, interop } from '../../src/index.js';
import { saveModel } from '../../src/node/model_files.js';
import { PRESETS } from '../../web/state.js';

const OUT = resolve('test-output/explorer');
const DESKTOP = { width: 1280, height: 900 },
  PHONE = { width: 390, height: 844 };

interface PlottedSeries {
  label: string;
  points: [number, number][];
}

type Check = { name: string; run: () => Promise<void> };
const checks: Check[] = [];
const check = (name: string, run: () => Promise<void>) => checks.push({ name, run });

let browser: Browser;
let server: StaticServer;

/** A page that records console errors and page errors; `errors()` lists them. */
async function openPage(query = '', viewport = DESKTOP): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  // Offline: nothing but the page's own server.
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.protocol !== 'data:' && url.protocol !== 'blob:' && url.origin !== server.url) errors.push(`external request: ${r.url()}`);
  });
  await page.goto(`${server.url}/${query}`);
  await page.waitForSelector('[role="tabpanel"][data-ready]:not([hidden])');
  return { page, errors };
}

const plotted = (page: Page, id: string) =>
  page.evaluate((id) => (window as unknown as { aconExplorer: { plotted(id: string): unknown } }).aconExplorer.plotted(id), id) as Promise<
    PlottedSeries[]
  >;
const pathD = (page: Page, box: string) => page.$$eval(`#${box} svg path`, (ps) => ps.map((p) => p.getAttribute('d') ?? ''));
const value = (page: Page, id: string) => page.$eval(`#${id}`, (el) => Number((el as HTMLInputElement).value));
const query = (page: Page) => page.evaluate(() => location.search);

function near(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
}

/** The f curve the page plots is the reference math's (σ or hard-sigmoid gate), at every point. */
function assertCurve(series: PlottedSeries[], p1: number, p2: number, beta: number, gate = 'sigmoid'): void {
  const f = series[0];
  const ref = gate === 'hardSigmoid' ? aconCHard : aconC;
  assert.ok(f.points.length > 100, `f has ${f.points.length} points`);
  for (const [x, y] of f.points) near(y, ref(x, p1, p2, beta), 1e-12, `f(${x}) with p1 ${p1}, p2 ${p2}, β ${beta}, gate ${gate}`);
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
}

check('the page loads with no console or page error, tabs work from the keyboard', async () => {
  const { page, errors } = await openPage();
  assert.equal(await page.title(), 'ACON explorer');
  const d = await pathD(page, 'plot-f');
  assert.ok(d.length >= 5 && d[0].startsWith('M'), 'f(x) plot has its paths');
  // Every control has a label (its own <label>, aria-label or aria-labelledby).
  const unlabelled = await page.$$eval('input, select, button', (els) =>
    els
      .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label') && !el.textContent?.trim())
      .map((el) => el.id),
  );
  assert.deepEqual(unlabelled, [], 'controls without a label');
  await page.focus('#tab-family');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'tab-layers');
  assert.equal(await page.isVisible('#view-layers'), true);
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.isVisible('#view-family'), true);
  await screenshot(page, 'family-desktop');
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(400);
  await screenshot(page, 'family-phone');
  assert.deepEqual(errors, []);
  await page.close();
});

check('moving a slider changes the plotted curve (and it is the reference math)', async () => {
  const { page, errors } = await openPage('?p1=1.2&p2=-0.8&beta=1');
  assertCurve(await plotted(page, 'plot-f'), 1.2, -0.8, 1);
  const before = await pathD(page, 'plot-f');
  await page.focus('#beta-range');
  for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowRight');
  const beta = await value(page, 'beta-number');
  assert.ok(beta > 1.5, `β moved up from 1, got ${beta}`);
  const after = await pathD(page, 'plot-f');
  assert.notEqual(after[0], before[0], 'f(x) path changed');
  assertCurve(await plotted(page, 'plot-f'), 1.2, -0.8, beta);
  // p1 through its slider, as a user drags it.
  await page.$eval('#p1-range', (el) => {
    (el as HTMLInputElement).value = '2.5';
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
  assert.equal(await value(page, 'p1-number'), 2.5);
  assertCurve(await plotted(page, 'plot-f'), 2.5, -0.8, beta);
  // f′ bounds drawn at the reference values.
  const df = await plotted(page, 'plot-df');
  const bounds = aconCDerivativeBounds(2.5, -0.8);
  const upper = df.find((s) => s.label.startsWith('bounds'))!,
    lower = df.find((s) => s.label.startsWith('lower bound'))!;
  near(upper.points[0][1], bounds.upper, 1e-12, 'upper bound');
  near(lower.points[0][1], bounds.lower, 1e-12, 'lower bound');
  // The n-input smooth maximum follows its text field.
  await page.fill('#smax-inputs', '3, -1, 0.5');
  const smax = (await plotted(page, 'plot-smax'))[0];
  for (const [b, s] of smax.points.filter((_, i) => i % 50 === 0)) near(s, smoothMaximum([3, -1, 0.5], b), 1e-12, `S_${b}`);
  assert.match((await page.textContent('#smax-readout')) ?? '', /max 3, mean 0\.8333/);
  assert.deepEqual(errors, []);
  await page.close();
});

check('each preset sets its documented values', async () => {
  const { page, errors } = await openPage();
  for (const [name, p] of Object.entries(PRESETS)) {
    await page.click(`#preset-${name}`);
    assert.equal(await value(page, 'p1-number'), p.p1, `${name} p1`);
    assert.equal(await value(page, 'p2-number'), p.p2, `${name} p2`);
    assert.equal(await value(page, 'beta-number'), p.beta, `${name} β`);
    assert.equal(await page.getAttribute(`#preset-${name}`, 'aria-pressed'), 'true');
    assert.match(await query(page), new RegExp(`preset=${name}`));
    assert.equal(await page.inputValue('#gate-select'), 'gate' in p ? p.gate : 'sigmoid', `${name} gate`);
    assertCurve(await plotted(page, 'plot-f'), p.p1, p.p2, p.beta, 'gate' in p ? p.gate : 'sigmoid');
    if ('compare' in p) assert.equal(await page.isChecked('#compare'), true, `${name} turns compare on`);
  }
  // The paper's figure: one curve per β of the figure (0 … ∞) besides the current one.
  const compare = await plotted(page, 'plot-f');
  assert.deepEqual(compare.map((s) => s.label).slice(1, 9), ['β = 0', 'β = 0.25', 'β = 0.5', 'β = 1', 'β = 2', 'β = 5', 'β = 10', 'β = ∞']);
  await screenshot(page, 'family-compare-desktop');
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(400);
  await screenshot(page, 'family-compare-phone');
  assert.deepEqual(errors, []);
  await page.close();
});

check('the hard-sigmoid gate: f and f′ are the hard-gate math, with its kinks and κ = 1.5 bounds', async () => {
  // The bounds drawn for the hard gate, checked against the reference f′ on a fine grid first:
  // k = h(z) + z·h′(z) = z/3 + 1/2 on −3 < z < 3, so f′ = p2 + (p1 − p2)·k spans (lo − (hi − lo)/2, hi + (hi − lo)/2).
  for (const [p1, p2, beta] of [
    [1, 0, 1],
    [1.2, -0.8, 2],
    [-0.5, 2, 0.7],
  ]) {
    const hi = Math.max(p1, p2),
      lo = Math.min(p1, p2);
    let min = Infinity,
      max = -Infinity;
    for (let x = -10; x <= 10; x += 1e-4) {
      const d = aconCHardPartials(x, p1, p2, beta).dx;
      min = Math.min(min, d);
      max = Math.max(max, d);
    }
    near(min, lo - (hi - lo) / 2, 1e-3 * (hi - lo), `inf f′ for ${p1}, ${p2}, ${beta}`);
    near(max, hi + (hi - lo) / 2, 1e-3 * (hi - lo), `sup f′ for ${p1}, ${p2}, ${beta}`);
    assert.ok(min >= lo - (hi - lo) / 2 && max <= hi + (hi - lo) / 2, `f′ within the bounds for ${p1}, ${p2}, ${beta}`);
  }
  const { page, errors } = await openPage('?p1=1.2&p2=-0.8&beta=1');
  assert.equal(await page.inputValue('#gate-select'), 'sigmoid');
  await page.click('#preset-hardAconA');
  assert.equal(await page.inputValue('#gate-select'), 'hardSigmoid');
  assert.match(await query(page), /gate=hardSigmoid&preset=hardAconA/);
  assertCurve(await plotted(page, 'plot-f'), 1, 0, 1, 'hardSigmoid');
  const dfMain = (await plotted(page, 'plot-df'))[0];
  const finitePoints = dfMain.points.filter(([, y]) => Number.isFinite(y));
  for (const [x, y] of finitePoints) near(y, aconCHardPartials(x, 1, 0, 1).dx, 1e-12, `f′(${x})`);
  assert.ok(
    dfMain.points.every(([x], i) => i === 0 || x >= dfMain.points[i - 1][0]),
    'f′ points in increasing x',
  );
  // The line breaks at the kinks x = ±3 (z = ±3): one gap each, between the one-sided values.
  const gaps = dfMain.points.flatMap(([x, y], i) => (Number.isFinite(y) ? [] : [[x, dfMain.points[i - 1][1], dfMain.points[i + 1][1]]]));
  assert.equal(gaps.length, 2, `gaps at ${gaps.map((g) => g[0]).join(', ')}`);
  near(gaps[0][0], -3, 1e-12, 'left kink');
  near(gaps[0][1], 0, 1e-9, 'f′ left of −3');
  near(gaps[0][2], -0.5, 1e-9, 'f′ right of −3');
  near(gaps[1][0], 3, 1e-12, 'right kink');
  near(gaps[1][1], 1.5, 1e-9, 'f′ left of 3');
  near(gaps[1][2], 1, 1e-9, 'f′ right of 3');
  const df = await plotted(page, 'plot-df');
  const upper = df.find((s) => s.label.startsWith('bounds'))!,
    lower = df.find((s) => s.label.startsWith('lower bound'))!;
  assert.match(upper.label, /hard gate: κ = 1\.5/);
  near(upper.points[0][1], 1.5, 1e-12, 'hard-gate upper bound');
  near(lower.points[0][1], -0.5, 1e-12, 'hard-gate lower bound');
  assert.match((await page.textContent('#family-formula')) ?? '', /h\(z\) = clip\(z\/6 \+ 1\/2, 0, 1\)/);
  // The gate control on its own: back to σ and the curve is ACON-C again; the preset becomes custom.
  await page.selectOption('#gate-select', 'sigmoid');
  assertCurve(await plotted(page, 'plot-f'), 1, 0, 1);
  assert.doesNotMatch(await query(page), /gate=|preset=/);
  await page.selectOption('#gate-select', 'hardSigmoid');
  await page.fill('#p2-number', '-0.8');
  assertCurve(await plotted(page, 'plot-f'), 1, -0.8, 1, 'hardSigmoid');
  // The URL the page wrote reproduces the gate and the plot.
  const d = await pathD(page, 'plot-f');
  const again = await openPage(new URL(page.url()).search);
  assert.equal(await again.page.inputValue('#gate-select'), 'hardSigmoid');
  assert.deepEqual(await pathD(again.page, 'plot-f'), d);
  assertCurve(await plotted(again.page, 'plot-f'), 1, -0.8, 1, 'hardSigmoid');
  await again.page.close();
  await page.click('#preset-hardAconA');
  await screenshot(page, 'family-hard-desktop');
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(400);
  await screenshot(page, 'family-hard-phone');
  assert.deepEqual([...errors, ...again.errors], []);
  await page.close();
});

check('the URL reproduces a state', async () => {
  const { page, errors } = await openPage('?view=family&p1=0.7&p2=-0.3&beta=4.5&compare=1&inputs=1,2,3');
  assert.equal(await value(page, 'p1-number'), 0.7);
  assert.equal(await value(page, 'p2-number'), -0.3);
  assert.equal(await value(page, 'beta-number'), 4.5);
  assert.equal(await page.isChecked('#compare'), true);
  assert.equal(await page.inputValue('#smax-inputs'), '1, 2, 3');
  assertCurve(await plotted(page, 'plot-f'), 0.7, -0.3, 4.5);
  // Change things, then open the URL the page wrote in a fresh page: the same plot.
  await page.fill('#p2-number', '0.1');
  await page.click('#compare');
  const url = page.url();
  const d = await pathD(page, 'plot-f');
  const again = await openPage(new URL(url).search);
  assert.deepEqual(await pathD(again.page, 'plot-f'), d);
  assert.equal(await again.page.isChecked('#compare'), false);
  // The view is part of the state.
  await again.page.click('#tab-train');
  assert.match(await query(again.page), /view=train/);
  assert.deepEqual([...errors, ...again.errors], []);
  await again.page.close();
  await page.close();
});

check('a results.json loads and shows its layers and β histograms', async () => {
  const results = makeResults({ seeds: [1, 2], epochs: 3 });
  const file = join(OUT, 'fixture-results.json');
  writeFileSync(file, JSON.stringify(results));
  for (const [viewport, suffix] of [
    [DESKTOP, 'desktop'],
    [PHONE, 'phone'],
  ] as const) {
    const { page, errors } = await openPage('?view=layers', viewport);
    await page.setInputFiles('#file-input', file);
    await page.waitForSelector('#layer-panels .layer-panel');
    const snap = (await page.evaluate(() => (window as unknown as { aconExplorer: { layers(): unknown } }).aconExplorer.layers())) as {
      runs: string[];
      selected: string;
      panels: number;
      histogramGroups: string[];
      depthSeries: string[];
    };
    assert.deepEqual(snap.runs, ['aconC, seed 1', 'aconC, seed 2', 'metaAconC, seed 1', 'metaAconC, seed 2']);
    assert.equal(snap.selected, 'aconC, seed 1');
    assert.equal(snap.panels, results.runs.find((r) => r.activation === 'aconC')!.layers.length);
    assert.deepEqual(snap.histogramGroups, ['ACON-C', 'Meta-ACON']);
    assert.deepEqual(snap.depthSeries, ['ACON-C', 'Meta-ACON']);
    assert.equal((await page.$$eval('#plot-beta-hist rect', (r) => r.length)) > 12, true, 'histogram bars drawn');
    const rows = await page.$$eval('#layers-table tbody tr', (trs) => trs.map((tr) => tr.children[0].textContent));
    assert.deepEqual(
      rows,
      results.runs[6].layers.map((l) => l.name),
    );
    // Switching the network re-draws its layers.
    await page.selectOption('#run-select', '2');
    assert.match((await page.textContent('#layers-table caption')) ?? '', /metaAconC, seed 1/);
    await page.selectOption('#run-select', '0');
    await screenshot(page, `layers-${suffix}`);
    assert.deepEqual(errors, []);
    await page.close();
  }
});

type LayersSnapshot = { runs: string[]; selected: string; panels: number; histogramGroups: string[]; source: string };
const layersSnapshot = (page: Page) =>
  page.evaluate(() => (window as unknown as { aconExplorer: { layers(): unknown } }).aconExplorer.layers()) as Promise<LayersSnapshot>;

check('a results.json dropped on the page loads', async () => {
  const text = JSON.stringify(makeResults({ activations: ['relu', 'metaAconC'], seeds: [4], epochs: 2 }));
  const { page, errors } = await openPage('?view=layers', PHONE);
  const transfer = await page.evaluateHandle((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'results.json', { type: 'application/json' }));
    return dt;
  }, text);
  await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: transfer });
  await page.waitForSelector('#layer-panels .layer-panel');
  const snap = await layersSnapshot(page);
  assert.deepEqual(snap.runs, ['metaAconC, seed 4']);
  assert.deepEqual(snap.histogramGroups, ['Meta-ACON']);
  assert.deepEqual(errors, []);
  await page.close();
});

check('a saved tfjs model (model.json + its weights file) loads and shows its ACON layers', async () => {
  await tf.setBackend('cpu');
  const dir = join(OUT, 'fixture-model');
  mkdirSync(dir, { recursive: true });
  const model = tfl.sequential({
    name: 'tiny_acon_net',
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, strides: 2, name: 'conv1' }),
      aconLayers.aconC({ name: 'act1' }),
      tfl.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, name: 'conv2' }),
      aconLayers.metaAconC({ name: 'act2', r: 2 }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({ units: 10 }),
    ],
  });
  const p1 = [1.5, 1.25, 0.5, 2];
  model.getLayer('act1').setWeights([tf.tensor1d(p1), tf.tensor1d([0, 0.1, -0.2, 0.3]), tf.tensor1d([2, 2, 2, 2])]);
  await saveModel(model, dir);
  const { page, errors } = await openPage('?view=layers&backend=cpu');
  const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
  await page.setInputFiles('#file-input', [join(dir, 'model.json'), ...manifest.weightsManifest[0].paths.map((p) => join(dir, p))]);
  await page.waitForSelector('#layer-panels .layer-panel', { timeout: 30_000 });
  const snap = await layersSnapshot(page);
  assert.deepEqual(snap.runs, ['tiny_acon_net']);
  assert.equal(snap.panels, 2);
  assert.match(snap.source, /model\.json: 6 layers, 2 ACON layers; Meta-ACON β over 64 bundled test images/);
  const rows = await page.$$eval('#layers-table tbody tr', (trs) =>
    trs.map((tr) => Array.from(tr.children, (td) => td.textContent?.trim())),
  );
  // name, kind, channels, median p1 (of 0.5, 1.25, 1.5, 2), median β.
  assert.deepEqual(rows[0].slice(0, 4), ['act1', 'AconC', '4', '1.38']);
  assert.equal(rows[0][5], '2');
  assert.deepEqual(rows[1].slice(0, 3), ['act2', 'MetaAconC', '6']);
  await screenshot(page, 'layers-model-desktop');
  assert.deepEqual(errors, []);
  await page.close();
  model.dispose();
});

check('a .safetensors state_dict with ACON layers loads and shows them', async () => {
  await tf.setBackend('cpu');
  const model = tfl.sequential({
    name: 'tiny_torch_net',
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, name: 'features/conv1' }),
      aconLayers.aconC({ name: 'features/act1' }),
      tfl.layers.conv2d({ filters: 6, kernelSize: 3, name: 'features/conv2' }),
      aconLayers.metaAconC({ name: 'features/act2', r: 2 }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({ units: 3, name: 'fc' }),
    ],
  });
  model
    .getLayer('features/act1')
    .setWeights([tf.tensor1d([1.5, 1.25, 0.5, 2]), tf.tensor1d([0, 0.1, -0.2, 0.3]), tf.tensor1d([2, 2, 2, 2])]);
  const act2 = model.getLayer('features/act2');
  act2.setWeights([tf.tensor1d([0.25, 0.5, 0.75, 1, 3, 4]), ...act2.getWeights().slice(1)]);
  const stateDict = interop.exportTorchStateDict(model);
  assert.deepEqual(stateDict['features.act1.p1'].shape, [1, 4, 1, 1], 'PyTorch shape of p1');
  assert.ok('features.act2.fc1.weight' in stateDict, 'Meta-ACON keys');
  const file = join(OUT, 'fixture-state-dict.safetensors');
  writeFileSync(file, interop.writeSafetensors(stateDict));
  for (const t of Object.values(stateDict)) t.dispose();
  model.dispose();
  const { page, errors } = await openPage('?view=layers&backend=cpu');
  await page.setInputFiles('#file-input', file);
  await page.waitForSelector('#layer-panels .layer-panel', { timeout: 30_000 });
  const snap = await layersSnapshot(page);
  assert.deepEqual(snap.runs, ['fixture-state-dict.safetensors']);
  assert.match(snap.source, /fixture-state-dict\.safetensors: \d+ tensors, 2 ACON layers; Meta-ACON's β is generated from each input/);
  // ACON-C has its f and f′ panel; Meta-ACON has no β without inputs, so its row says G(x).
  assert.equal(snap.panels, 1);
  assert.deepEqual(snap.histogramGroups, ['fixture-state-dict.safetensors']);
  const rows = await page.$$eval('#layers-table tbody tr', (trs) =>
    trs.map((tr) => Array.from(tr.children, (td) => td.textContent?.trim())),
  );
  // name, kind, channels, median p1 (of 0.5, 1.25, 1.5, 2 and of 0.25 … 4), median p2, β.
  assert.deepEqual(rows[0].slice(0, 6), ['features.act1', 'AconC', '4', '1.38', '0.05', '2']);
  assert.deepEqual(rows[1].slice(0, 4), ['features.act2', 'MetaAconC', '6', '0.875']);
  assert.equal(rows[1][5], 'G(x)');
  assert.equal(await page.inputValue('#hist-layer'), '0', 'the histogram shows the layer that has β');
  await screenshot(page, 'layers-safetensors-desktop');
  assert.deepEqual(errors, []);
  await page.close();
});

interface TrainingSnapshot {
  state: string;
  error?: string;
  backend: { name: string; skipped: string[] };
  arms: { key: string; losses: number[]; imagesPerSec: number }[];
}

async function waitForTraining(page: Page): Promise<TrainingSnapshot> {
  const handle = await page.waitForFunction(
    () => {
      const s = (window as unknown as { aconExplorer: { training(): { state: string } | undefined } }).aconExplorer.training();
      return s && ['done', 'failed', 'stopped'].includes(s.state) ? s : null;
    },
    undefined,
    { timeout: 150_000, polling: 500 },
  );
  return (await handle.jsonValue()) as TrainingSnapshot;
}

async function trainOn(backend: string): Promise<void> {
  const steps = 60;
  const { page, errors } = await openPage(`?view=train&backend=${backend}&steps=${steps}&autostart=1`);
  const snap = await waitForTraining(page);
  assert.equal(snap.state, 'done', snap.error);
  assert.equal(snap.backend.name, backend);
  assert.match((await page.textContent('#train-status')) ?? '', new RegExp(`backend ${backend}`));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const arm of snap.arms) {
    assert.equal(arm.losses.length, steps, arm.key);
    const first = mean(arm.losses.slice(0, 10)),
      last = mean(arm.losses.slice(-10));
    console.log(`  ${backend} ${arm.key}: loss ${first.toFixed(3)} → ${last.toFixed(3)}, ${arm.imagesPerSec.toFixed(0)} images/s`);
    assert.ok(last < first * 0.8, `${arm.key} on ${backend}: loss ${first} → ${last} did not fall`);
  }
  assert.ok((await page.$$('#train-layers .layer-panel')).length === 4, 'ACON-C and Meta-ACON: 2 layers each');
  await screenshot(page, `train-${backend}-desktop`);
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(400);
  await screenshot(page, `train-${backend}-phone`);
  assert.deepEqual(errors, []);
  await page.close();
}

check('without ?backend= training takes the first backend that works (webgpu → webgl → wasm → cpu)', async () => {
  const { page, errors } = await openPage('?view=train&steps=3&autostart=1');
  const snap = await waitForTraining(page);
  assert.equal(snap.state, 'done', snap.error);
  console.log(
    `  default backend: ${snap.backend.name}${snap.backend.skipped.length ? ` (skipped ${snap.backend.skipped.join('; ')})` : ''}`,
  );
  assert.ok(['webgpu', 'webgl', 'wasm', 'cpu'].includes(snap.backend.name));
  assert.match((await page.textContent('#footer-backend')) ?? '', new RegExp(`tfjs backend: ${snap.backend.name}`));
  assert.deepEqual(errors, []);
  await page.close();
});

check('browser training runs and its loss falls on webgl (SwiftShader)', () => trainOn('webgl'));
check('browser training runs and its loss falls on wasm', () => trainOn('wasm'));

async function main(): Promise<number> {
  mkdirSync(OUT, { recursive: true });
  await build({ configFile: resolve('web/vite.config.ts'), logLevel: 'warn' });
  server = await serveStatic({ mounts: { '/': EXPLORER_OUT_DIR } });
  browser = await launchChromium();
  const only = process.env.ACON_EXPLORER_ONLY;
  let passed = 0,
    failed = 0;
  try {
    for (const c of checks) {
      if (only && !c.name.includes(only)) continue;
      const t0 = Date.now();
      try {
        await c.run();
        passed++;
        console.log(`ok - ${c.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (e) {
        failed++;
        console.log(`not ok - ${c.name}\n  ${(e as Error).stack?.split('\n').slice(0, 6).join('\n  ')}`);
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  console.log(`screenshots: ${OUT}`);
  console.log(`explorer: ${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    console.error(e);
    console.log('explorer: 0 passed, 1 failed');
    process.exitCode = 1;
  },
);
