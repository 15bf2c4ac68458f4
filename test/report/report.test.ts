/** The HTML report of `acon compare`: structure, numbers, escaping, degradation, writing. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { switchSharpness } from '../../src/math/acon.js';
import { channelParams, layerCurves, summarizeLayer } from '../../src/report/activation_layers.js';
import { renderReport, writeReport } from '../../src/report/index.js';
import { mean, meanCI, median, quantile, sampleStd, studentTCentralProbability, studentTCritical } from '../../src/report/stats.js';
import { lineChart, niceTicks, renderSvg } from '../../src/report/svg.js';
import type { ActivationLayerRecord, ResultsFile } from '../../src/results/schema.js';
import { FINAL_ERRORS, makeResults } from './fixture.js';
import { wellFormednessErrors } from './html_check.js';

const SECTIONS = ['summary', 'curves', 'layers', 'beta-distribution', 'family'];

/** The inner HTML of `<section id="…">`. */
function sectionOf(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}">`);
  assert.ok(start >= 0, `section ${id} missing`);
  return html.slice(start, html.indexOf('</section>', start));
}

/** The `<tr>` of the error table whose header cell is `label`. */
function errorRow(html: string, label: string): string {
  const table = html.slice(html.indexOf('<table class="errors">'), html.indexOf('</table>', html.indexOf('<table class="errors">')));
  const row = table.split('<tr').find((r) => r.includes(`</span>${label}</th>`));
  assert.ok(row, `no error-table row for ${label}`);
  return row;
}

describe('report stats', () => {
  it('mean, sample std, quantiles', () => {
    assert.equal(mean([1, 2, 3, 4]), 2.5);
    assert.ok(Number.isNaN(mean([])));
    // Σ(x − 5)² = 32 over n − 1 = 7.
    assert.ok(Math.abs(sampleStd([2, 4, 4, 4, 5, 5, 7, 9]) - Math.sqrt(32 / 7)) < 1e-15);
    assert.ok(Number.isNaN(sampleStd([3])));
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(quantile([1, 2, 3, 4, 5], 0.25), 2);
    assert.equal(quantile([0, 10], 0.3), 3);
  });

  it('Student t critical values: closed forms for df 1 and 2, tables beyond', () => {
    assert.ok(Math.abs(studentTCritical(1) - Math.tan(0.475 * Math.PI)) < 1e-9); // 12.7062
    assert.ok(Math.abs(studentTCritical(2) - 0.95 / Math.sqrt(2 * 0.975 * 0.025)) < 1e-9); // 4.30265
    for (const [df, t] of [
      [3, 3.1824],
      [4, 2.7764],
      [5, 2.5706],
      [10, 2.2281],
      [30, 2.0423],
      [120, 1.9799],
    ] as const) {
      assert.ok(Math.abs(studentTCritical(df) - t) < 5e-5, `df=${df}: ${studentTCritical(df)} vs ${t}`);
    }
    assert.ok(Math.abs(studentTCritical(4, 0.99) - 4.6041) < 5e-5);
    assert.ok(Math.abs(studentTCentralProbability(0, 7)) < 1e-15);
    assert.throws(() => studentTCentralProbability(1, 0), /df must be a positive integer/);
  });

  it('95% CI of the mean; n = 1 gives no interval', () => {
    const ci = meanCI([0.1, 0.12, 0.11]);
    assert.equal(ci.n, 3);
    assert.ok(Math.abs(ci.mean - 0.11) < 1e-15);
    assert.ok(Math.abs(ci.std - 0.01) < 1e-15);
    // t(0.975, 2) · s / √3 = 4.302653 · 0.01 / 1.732051.
    assert.ok(Math.abs(ci.half! - 0.0248414) < 1e-7);
    const one = meanCI([0.2]);
    assert.equal(one.n, 1);
    assert.equal(one.mean, 0.2);
    assert.equal(one.half, null);
  });
});

describe('report layer analysis', () => {
  const layer = (p: Partial<ActivationLayerRecord>): ActivationLayerRecord => ({
    name: 'l',
    index: 0,
    kind: 'AconC',
    p1: [],
    p2: [],
    beta: [],
    ...p,
  });

  it('broadcasts layer-wise parameters and reads ACON-A as p1 = 1, p2 = 0', () => {
    assert.deepEqual(channelParams(layer({ p1: [2], p2: [0.5, -0.5], beta: [3] })), [
      { p1: 2, p2: 0.5, beta: 3 },
      { p1: 2, p2: -0.5, beta: 3 },
    ]);
    assert.deepEqual(channelParams(layer({ kind: 'AconA', beta: [0.5] })), [{ p1: 1, p2: 0, beta: 0.5 }]);
  });

  it('sharpness summary: mean over channels and the fraction below 0.2', () => {
    const s = summarizeLayer(layer({ p1: [1, 1, 1, 2], p2: [0, 0, 0, 0], beta: [0, 0.01, 100, 1] }));
    const expected = [0, switchSharpness(1, 0, 0.01), 1, switchSharpness(2, 0, 1)];
    assert.equal(s.channels, 4);
    assert.ok(Math.abs(s.meanSharpness - mean(expected)) < 1e-12);
    assert.equal(s.linearFraction, 0.5);
    assert.deepEqual(s.beta, { median: 0.505, min: 0, max: 100 });
  });

  it('curves: pointwise median over channels and sample channels ordered by sharpness', () => {
    const c = layerCurves(layer({ p1: [1, 1, 1], p2: [0, 0, 0], beta: [0, 1, 1000] }), [-2, 2], 2);
    // f at x = 2: 1 (β = 0: mean of 2 and 0), 2σ(2), ≈2; median 2σ(2).
    assert.ok(Math.abs(c.median.f[1] - 2 / (1 + Math.exp(-2))) < 1e-12);
    assert.deepEqual(
      c.channels.map((ch) => ch.channel),
      [0, 2],
    );
  });
});

describe('report svg', () => {
  it('nice ticks cover the data with round steps', () => {
    const t = niceTicks(0.093, 0.212, 5);
    assert.deepEqual(t.labels, ['0.08', '0.10', '0.12', '0.14', '0.16', '0.18', '0.20', '0.22']);
    assert.deepEqual(niceTicks(-6, 6, 6).labels, ['−6', '−4', '−2', '0', '2', '4', '6']);
    assert.deepEqual(niceTicks(1, 3, 6, true).values, [1, 2, 3]);
  });

  it('breaks lines at non-finite values, escapes labels, is deterministic', () => {
    const opts = {
      width: 300,
      height: 200,
      title: 'a <b> & "c"',
      series: [
        {
          label: '<x>',
          color: '#000',
          points: [
            [0, 1],
            [1, NaN],
            [2, 3],
            [3, 4],
          ] as const,
        },
      ],
    };
    const svg = renderSvg(lineChart(opts), 'l<1>');
    assert.equal(svg, renderSvg(lineChart(opts), 'l<1>'));
    const d = /<path d="([^"]+)"/.exec(svg)![1];
    assert.equal(d.match(/M/g)!.length, 2);
    assert.ok(!svg.includes('<b>') && !svg.includes('<x>') && !svg.includes('l<1>'));
    assert.ok(svg.includes('a &lt;b&gt; &amp; &quot;c&quot;') && svg.includes('&lt;x&gt;'));
    assert.deepEqual(wellFormednessErrors(`<!DOCTYPE html><html><body>${svg}</body></html>`), []);
  });
});

describe('well-formedness checker', () => {
  it('catches the mistakes it is meant to catch', () => {
    const bad = (body: string) => wellFormednessErrors(`<!DOCTYPE html><html><body>${body}</body></html>`);
    assert.deepEqual(bad('<p>ok &amp; <b>bold</b></p><br><svg><path d="M0 0"/></svg>'), []);
    assert.ok(bad('<div><span></div></span>').length > 0);
    assert.ok(bad('<p>a < b</p>').length > 0);
    assert.ok(bad('<p>a & b</p>').length > 0);
    assert.ok(bad('<div/>').length > 0);
    assert.ok(bad('<p><table></table></p>').length > 0);
    assert.ok(bad('<a id="x"></a><a id="x"></a>').length > 0);
    assert.ok(bad('<a href=x></a>').length > 0);
    assert.ok(bad('<div>').length > 0);
  });
});

describe('renderReport', () => {
  const results = makeResults();
  const html = renderReport(results);

  it('has every section, is well-formed and deterministic', () => {
    for (const id of SECTIONS) assert.ok(html.includes(`<section id="${id}">`), `section ${id}`);
    assert.deepEqual(wellFormednessErrors(html), []);
    assert.equal(renderReport(results), html);
    assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
  });

  it('is self-contained: no scripts, no external resources, only in-page links', () => {
    assert.doesNotMatch(html, /<script|<link|<img|<iframe|<object|<embed|@import|url\(/i);
    assert.doesNotMatch(html, /\s(?:src|srcset|xlink:href|action|data)\s*=/i);
    for (const [, href] of html.matchAll(/\shref\s*=\s*"([^"]*)"/g)) assert.match(href, /^#[\w-]+$/, `link ${href}`);
    for (const m of html.matchAll(/https?:\/\//g)) {
      const before = html.slice(0, m.index);
      assert.ok(before.lastIndexOf('<') < before.lastIndexOf('>'), `URL inside a tag at ${m.index}`);
    }
  });

  it('error table: mean ± 95% CI over seeds in %, best seed, params, paper column', () => {
    const t2 = 0.95 / Math.sqrt(2 * 0.975 * 0.025); // t(0.975, 2), closed form
    const expected: Record<string, [string, string, string]> = {
      // errors {0.112, 0.108, 0.110}: mean 11.00%, s = 0.2%, half = t2 · 0.2 / √3 = 0.497%.
      ReLU: ['11.00 ± 0.50', 'seed 2: 10.80', '39.4'],
      // {0.106, 0.104, 0.105}: 10.50%, s = 0.1%, half 0.248%.
      Swish: ['10.50 ± 0.25', 'seed 2: 10.40', '38.3'],
      'ACON-C': ['10.10 ± 0.50', 'seed 2: 9.90', '37.0'],
      'Meta-ACON': ['9.50 ± 0.25', 'seed 2: 9.40', '34.8'],
    };
    assert.equal(((t2 * 0.2) / Math.sqrt(3)).toFixed(2), '0.50');
    assert.equal(((t2 * 0.1) / Math.sqrt(3)).toFixed(2), '0.25');
    for (const [label, [err, best, paper]] of Object.entries(expected)) {
      const row = errorRow(html, label);
      assert.ok(row.includes(`>${err} <span class="n">n=3</span><`), `${label}: ${row}`);
      assert.ok(row.includes(`>${best}<`), `${label} best seed`);
      assert.ok(row.includes(`<td class="num ref">${paper}</td>`), `${label} paper value`);
    }
    assert.ok(errorRow(html, 'ACON-C').includes('>220,768<'));
    assert.equal(FINAL_ERRORS.relu.length, 3);
    assert.match(sectionOf(html, 'summary'), /different data set and model/);
    assert.match(
      sectionOf(html, 'summary'),
      /Observed here \(mean final test error, best first\): Meta-ACON 9\.50% &lt; ACON-C 10\.10% &lt; Swish 10\.50% &lt; ReLU 11\.00%\. Claimed by the paper \(ImageNet\): Meta-ACON &lt; ACON-C &lt; Swish &lt; ReLU\. Same order for these 4\./,
    );
  });

  it('states a different order when the results disagree with the paper', () => {
    const r = makeResults();
    for (const run of r.runs) if (run.activation === 'relu') run.finalTestError = 0.05;
    assert.match(renderReport(r), /ReLU 5\.00% &lt; Meta-ACON.*Different order for these 4\./);
  });

  it('ties are said as ties, not as a strict order, and do not count as a different order', () => {
    const r = makeResults({ activations: ['relu', 'swish', 'aconC'] });
    for (const run of r.runs) run.finalTestError = run.activation === 'aconC' ? 0.08 : 0.09;
    const summary = sectionOf(renderReport(r), 'summary');
    assert.match(summary, /best first\): ACON-C 8\.00% &lt; ReLU = Swish 9\.00% \(tie\)\./);
    assert.doesNotMatch(summary, /ReLU 9\.00% &lt; Swish|Swish 9\.00% &lt; ReLU|Different order/);
    assert.match(
      summary,
      /Claimed by the paper \(ImageNet\): ACON-C &lt; Swish &lt; ReLU\. No pair of these 3 is in the opposite order, but the ties leave part of the order undecided\./,
    );
    for (const run of r.runs) run.finalTestError = 0.09;
    assert.match(sectionOf(renderReport(r), 'summary'), /Observed here \(mean final test error\): all 3 tie at 9\.00%\./);
  });

  it('says equal medians of β as equal, and uses no internal names', () => {
    const r = makeResults();
    const meta = r.runs.find((run) => run.activation === 'metaAconC' && run.seed === 1)!;
    const last = meta.layers.at(-1)!;
    last.betaPerSample = last.betaPerSample!.map((b) => b.map(() => 0.5));
    const out = renderReport(r);
    assert.match(sectionOf(out, 'beta-distribution'), /here the median β is 0\.5 for every sample shown/);
    assert.doesNotMatch(out, /ranges from 0\.5 to 0\.5/);
    assert.doesNotMatch(out, /switchSharpness/);
    assert.match(sectionOf(html, 'beta-distribution'), /here the median β ranges from \S+ to \S+\./);
  });

  it('one seed: "n=1" and no interval', () => {
    const one = renderReport(makeResults({ seeds: [7] }));
    const row = errorRow(one, 'ReLU');
    assert.ok(row.includes('>11.20 <span class="n">n=1</span><'), row);
    assert.ok(!row.includes('±'));
    assert.match(one, /single seed, so the order is not tested statistically/);
    assert.deepEqual(wellFormednessErrors(one), []);
  });

  it('layers: per-layer table with the sharpness summary and curves for each ACON kind', () => {
    const layers = sectionOf(html, 'layers');
    assert.match(layers, /ACON-C — seed 1/);
    assert.match(layers, /Meta-ACON — seed 1/);
    const first = results.runs.find((r) => r.activation === 'aconC' && r.seed === 1)!.layers[0];
    const s = summarizeLayer(first);
    assert.ok(layers.includes(`<td class="num">${s.meanSharpness.toFixed(2)}</td>`));
    assert.equal((layers.match(/<svg /g) ?? []).length, 4); // 2 bar charts + 2 grids of small multiples
    const seed2 = renderReport(results, { seed: 2 });
    assert.match(sectionOf(seed2, 'layers'), /ACON-C — seed 2/);
  });

  it('β distribution: ACON-C vs Meta-ACON over the 7 test samples', () => {
    const beta = sectionOf(html, 'beta-distribution');
    assert.ok(beta.includes('<svg '));
    for (const i of results.runs.find((r) => r.activation === 'metaAconC')!.betaSampleIndices!)
      assert.ok(beta.includes(`>#${i}<`), `sample #${i}`);
    assert.match(beta, /ACON-C \(seed 1\)/);
    assert.match(beta, /Meta-ACON \(seed 1\)/);
  });

  it('family: curves for 8 values of β and the derivative bounds', () => {
    const family = sectionOf(html, 'family');
    for (const b of ['0', '0.25', '0.5', '1', '2', '5', '10']) assert.ok(family.includes(`>β = ${b}<`), `β = ${b}`);
    assert.ok(family.includes('β = ∞: max(p1x, p2x)'));
    // κ·p2 − (κ−1)·p1 and κ·p1 − (κ−1)·p2 for p1 = 1.2, p2 = −0.8.
    assert.ok(family.includes('[−1.000, 1.400]'));
  });

  it('escapes every name it prints', () => {
    const r = makeResults({ activations: ['relu', '<b>x</b> & "y"', 'aconC'] });
    r.runs.find((run) => run.activation === 'aconC')!.layers[0].name = '</section><script>alert(1)</script>';
    const out = renderReport(r, { title: 'A <title> & more' });
    assert.deepEqual(wellFormednessErrors(out), []);
    assert.ok(!out.includes('<b>x</b>') && !out.includes('<script'));
    assert.ok(out.includes('&lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot;'));
    assert.ok(out.includes('<title>A &lt;title&gt; &amp; more</title>'));
    for (const id of SECTIONS) assert.equal(out.split(`<section id="${id}">`).length, 2);
  });

  it('degrades: no Meta-ACON → a sentence instead of the β figure', () => {
    const out = renderReport(makeResults({ activations: ['relu', 'swish', 'aconC'], seeds: [1, 2] }));
    const beta = sectionOf(out, 'beta-distribution');
    assert.match(beta, /No Meta-ACON run in these results/);
    assert.ok(!beta.includes('<svg'));
    assert.deepEqual(wellFormednessErrors(out), []);
  });

  it('degrades: no ACON layers, no epochs, no runs', () => {
    const plain = makeResults({ activations: ['relu', 'swish'] });
    const out = renderReport(plain);
    assert.match(sectionOf(out, 'layers'), /No run has ACON layers/);
    assert.match(sectionOf(out, 'beta-distribution'), /No Meta-ACON run/);
    for (const run of plain.runs) run.epochs = [];
    assert.match(sectionOf(renderReport(plain), 'curves'), /No per-epoch records/);
    const empty: ResultsFile = { ...plain, runs: [] };
    const none = renderReport(empty);
    assert.deepEqual(wellFormednessErrors(none), []);
    assert.match(none, /Fewer than two activations have results/);
  });

  it('Meta-ACON without betaPerSample → a sentence', () => {
    const r = makeResults();
    for (const run of r.runs) for (const l of run.layers) delete l.betaPerSample;
    assert.match(sectionOf(renderReport(r), 'beta-distribution'), /recorded no per-sample β/);
  });
});

describe('writeReport', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('reads results.json and writes the report atomically (no temporary file left)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'acon-report-'));
    dirs.push(dir);
    const results = makeResults({ seeds: [1, 2] });
    await writeFile(join(dir, 'results.json'), JSON.stringify(results));
    await writeReport(join(dir, 'results.json'), join(dir, 'out', 'report.html'));
    assert.equal(await readFile(join(dir, 'out', 'report.html'), 'utf8'), renderReport(results));
    assert.deepEqual(await readdir(join(dir, 'out')), ['report.html']);
  });

  it('rejects a bad results.json and writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'acon-report-'));
    dirs.push(dir);
    await writeFile(join(dir, 'results.json'), JSON.stringify({ ...makeResults(), version: 3 }));
    await assert.rejects(writeReport(join(dir, 'results.json'), join(dir, 'report.html')), /results\.json: version must be 1 or 2/);
    assert.deepEqual(await readdir(dir), ['results.json']);
  });
});
