/**
 * The report of `acon compare`: one self-contained HTML5 document (inline CSS, inline SVG, no
 * scripts, no external resources) built from `results.json`. Sections, each with an id:
 * `summary`, `curves`, `layers`, `beta-distribution`, `family`. A section whose data is missing
 * says so in a sentence instead of drawing an empty figure.
 */
import { SETTING_FIELDS, SETTING_NAMES, type ActivationLayerRecord, type ResultsFile, type RunRecord } from '../results/schema.js';
import { DERIVATIVE_OVERSHOOT, aconC, aconCDerivative, aconCDerivativeBounds } from '../math/acon.js';
import { activationStyles, type ActivationStyle } from './activations.js';
import { LINEAR_SHARPNESS, layerCurves, summarizeLayer, type LayerSummary, type Spread } from './activation_layers.js';
import { escapeXml as esc } from './escape.js';
import { fixed, grouped, pct, si, sig3 } from './format.js';
import { formatDuration } from '../util/duration.js';
import { activationNames, epochStats, runsOf, summarizeActivation, type ActivationSummary } from './runs.js';
import { median } from './stats.js';
import { barChart, distributionChart, lineChart, renderSvg, smallMultiples, type Figure, type LineSeries } from './svg.js';

export interface ReportOptions {
  title?: string;
  /** Seed whose learned layers are shown (default, and when it has no run: the first seed). */
  seed?: number;
}

/** What every section needs: the results, the activations in order and their styles. */
interface Context {
  results: ResultsFile;
  names: string[];
  styles: Map<string, ActivationStyle>;
  summaries: ActivationSummary[];
  seed?: number;
}

export function renderReport(results: ResultsFile, opts: ReportOptions = {}): string {
  const names = activationNames(results);
  const ctx: Context = {
    results,
    names,
    styles: activationStyles(names),
    summaries: names.map((a) => summarizeActivation(a, runsOf(results, a))),
    seed: opts.seed,
  };
  const c = results.config;
  const title = opts.title ?? `ACON comparison: ${c.model} on ${c.data.source}`;
  const sections = [
    section('summary', 'Summary', summarySection(ctx)),
    section('curves', 'Training curves', curvesSection(ctx)),
    section('layers', 'Learned activations per layer', layersSection(ctx)),
    section('beta-distribution', 'β distribution of the last layer', betaSection(ctx)),
    section('family', 'The ACON-C family', familySection()),
  ];
  const nav = sections.map((s) => `<a href="#${s.id}">${esc(s.heading)}</a>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="meta">results.json of ${esc(results.createdAt)} · ${results.runs.length} runs · ${names.length} activations × ${c.seeds.length} seeds × ${c.epochs} epochs</p>
<nav>${nav}</nav>
</header>
<main>
${sections.map((s) => s.html).join('\n')}
</main>
<footer>Ma, Zhang, Liu, Sun: “Activate or Not: Learning Customized Activation”, CVPR 2021 (arXiv:2009.04759). Curves are computed from the learned parameters with the float64 reference math of this library.</footer>
</body>
</html>
`;
}

function section(id: string, heading: string, body: string): { id: string; heading: string; html: string } {
  return { id, heading, html: `<section id="${id}">\n<h2>${esc(heading)}</h2>\n${body}\n</section>` };
}

function figure(fig: Figure, label: string, caption?: string): string {
  return `<figure>${renderSvg(fig, label)}${caption ? `<figcaption>${caption}</figcaption>` : ''}</figure>`;
}

function note(text: string): string {
  return `<p class="missing">${esc(text)}</p>`;
}

function label(ctx: Context, activation: string): string {
  return ctx.styles.get(activation)?.label ?? activation;
}

function color(ctx: Context, activation: string): string {
  return ctx.styles.get(activation)?.color ?? '#000';
}

// ── summary ──────────────────────────────────────────────────────────────────────────────────────

function summarySection(ctx: Context): string {
  const { config: c, environment: e } = ctx.results;
  const NOT_RECORDED = 'not recorded (older results.json)';
  const setting = (v: unknown) => (v === undefined ? NOT_RECORDED : Array.isArray(v) ? v.join(', ') : String(v));
  const executions = [...new Set(ctx.results.runs.map((r) => `${r.backend}, ${r.workers} worker${r.workers === 1 ? '' : 's'}`))];
  const d = c.data;
  const rows: [string, string][] = [
    ['Activations', ctx.names.map((a) => label(ctx, a)).join(', ')],
    ['Seeds', c.seeds.join(', ')],
    ...SETTING_NAMES.filter((n) => !(n === 'widthMultiplier' && c.model !== 'shufflenet' && c[n] === undefined)).map(
      (n): [string, string] => [SETTING_FIELDS[n].label, setting(c[n])],
    ),
    [
      'Data',
      `${d.source}: ${grouped(d.trainCount)} training, ${grouped(d.testCount)} test images` +
        (d.perClass ? ` (the first ${d.perClass.train} training and ${d.perClass.test} test images of each class)` : ''),
    ],
    ['Data files (SHA-256)', d.sha256 ?? NOT_RECORDED],
    ['Backend', executions.length ? executions.join('; ') : '—'],
    ['Machine', `Node ${e.node}, ${e.cpus}`],
    ['acon', `${e.version ?? 'version not recorded'}${e.commit ? `, commit ${e.commit}` : ''}`],
  ];
  const config = `<table class="config">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
  const bestMean = Math.min(...ctx.summaries.filter((s) => s.error.n > 0).map((s) => s.error.mean));
  const body = ctx.summaries
    .map((s) => {
      const style = ctx.styles.get(s.activation);
      const err =
        s.error.n === 0
          ? '—'
          : `${pct(s.error.mean)}${s.error.half === null ? '' : ` ± ${pct(s.error.half)}`} <span class="n">n=${s.error.n}</span>`;
      const best = s.best ? `seed ${s.best.seed}: ${pct(s.best.finalTestError)}` : '—';
      return (
        `<tr${s.error.mean === bestMean ? ' class="best"' : ''}><th><span class="swatch" style="background:${color(ctx, s.activation)}"></span>${esc(label(ctx, s.activation))}</th>` +
        `<td class="num">${err}</td><td class="num">${esc(best)}</td><td class="num">${grouped(s.params)}</td><td class="num">${si(s.flops)}</td>` +
        `<td class="num">${grouped(s.imagesPerSec)}</td><td class="num">${formatDuration(s.wallSeconds)}</td>` +
        `<td class="num ref">${style?.paperTop1 !== undefined ? style.paperTop1.toFixed(1) : '—'}</td></tr>`
      );
    })
    .join('');
  const table = `<table class="errors">
<thead><tr><th>Activation</th><th>Final test error, % (mean ± 95% CI)</th><th>Best seed, %</th><th>Params</th><th>MACs / image</th><th>Images / s (train)</th><th>Wall time / run</th><th class="ref">Paper: ImageNet top-1 error, %*</th></tr></thead>
<tbody>${body}</tbody>
</table>`;
  return `${config}
<h3>Final test error over seeds</h3>
${table}
<p class="small">95% CI: mean ± t·s/√n over the seeds (Student t with n − 1 degrees of freedom); with n=1 there is no interval. Images/s and wall time are means over seeds; MACs are multiply–accumulates of one forward pass.
* The paper column is ShuffleNetV2 0.5× on ImageNet (Ma et al., CVPR 2021): a different data set and model, shown for the ordering claim only — its values are not comparable with the errors here.</p>
<p class="verdict">${esc(orderingStatement(ctx))}</p>`;
}

/**
 * The activations as an order of mean errors (as printed, 2 decimals): "A 9.00% < B 9.50%", with
 * ties (equal printed values) said as such: "A = B 9.00% (tie)".
 */
function orderText(groups: { names: string[]; value?: string }[]): string {
  return groups
    .map((g) => {
      const who = g.names.join(' = ');
      const value = g.value === undefined ? '' : ` ${g.value}`;
      return g.names.length > 1 ? `${who}${value} (tie)` : `${who}${value}`;
    })
    .join(' < ');
}

/** Consecutive items with the same `key`, in order. */
function tieGroups<T>(items: T[], key: (t: T) => string | number): T[][] {
  const groups: T[][] = [];
  for (const it of items) {
    const last = groups.at(-1);
    if (last && key(last[0]) === key(it)) last.push(it);
    else groups.push([it]);
  }
  return groups;
}

/** One line: the order of mean errors observed here, the paper's order, whether they agree. */
function orderingStatement(ctx: Context): string {
  const measured = ctx.summaries.filter((s) => s.error.n > 0).sort((a, b) => a.error.mean - b.error.mean);
  if (measured.length < 2) return 'Fewer than two activations have results: no ordering to compare.';
  const name = (s: ActivationSummary) => ctx.styles.get(s.activation)?.label ?? s.activation;
  const shown = (s: ActivationSummary) => `${pct(s.error.mean)}%`;
  const observedGroups = tieGroups(measured, shown);
  const observed = orderText(observedGroups.map((g) => ({ names: g.map(name), value: shown(g[0]) })));
  const paper = (s: ActivationSummary) => ctx.styles.get(s.activation)!.paperTop1!;
  const inPaper = measured.filter((s) => ctx.styles.get(s.activation)?.paperTop1 !== undefined);
  const claimed = [...inPaper].sort((a, b) => paper(a) - paper(b));
  const allTied = observedGroups.length === 1;
  let line = allTied
    ? `Observed here (mean final test error): all ${measured.length} tie at ${shown(measured[0])}.`
    : `Observed here (mean final test error, best first): ${observed}.`;
  if (claimed.length >= 2) {
    // Same order: every pair the paper orders strictly is ordered the same way here, with no tie.
    const rank = new Map(tieGroups(inPaper, shown).flatMap((g, i) => g.map((s) => [s, i] as const)));
    let agree = true,
      ties = false;
    for (let i = 0; i < claimed.length; i++)
      for (let j = i + 1; j < claimed.length; j++) {
        if (paper(claimed[i]) === paper(claimed[j])) continue;
        const [a, b] = [rank.get(claimed[i])!, rank.get(claimed[j])!];
        if (a === b) ties = true;
        else if (a > b) agree = false;
      }
    const n = claimed.length;
    const verdict = !agree
      ? `Different order for these ${n}.`
      : ties
        ? `No pair of these ${n} is in the opposite order, but the ties leave part of the order undecided.`
        : `Same order for these ${n}.`;
    line += ` Claimed by the paper (ImageNet): ${orderText(tieGroups(claimed, paper).map((g) => ({ names: g.map(name) })))}. ${verdict}`;
  }
  if (measured.some((s) => s.error.half === null))
    return `${line} Some activations have a single seed, so the order is not tested statistically.`;
  const overlapping: string[] = [];
  for (let i = 1; i < measured.length; i++) {
    const a = measured[i - 1].error,
      b = measured[i].error;
    if (b.mean - b.half! <= a.mean + a.half!) overlapping.push(`${name(measured[i - 1])} / ${name(measured[i])}`);
  }
  if (overlapping.length > 0) line += ` The 95% CIs overlap for ${overlapping.join(', ')}: those steps are not resolved by these seeds.`;
  return line;
}

// ── curves ───────────────────────────────────────────────────────────────────────────────────────

function curvesSection(ctx: Context): string {
  const chart = (metric: 'trainLoss' | 'testError', title: string, yLabel: string, scale: number) => {
    const series: LineSeries[] = ctx.summaries
      .map((s) => {
        const stats = epochStats(s.runs, metric);
        return {
          label: label(ctx, s.activation),
          color: color(ctx, s.activation),
          markers: stats.length <= 40,
          points: stats.map((e) => [e.epoch, e.mean * scale] as const),
          band: stats.map((e) => [e.epoch, e.min * scale, e.max * scale] as const),
        };
      })
      .filter((s) => s.points.length > 0);
    return series.length === 0
      ? ''
      : figure(lineChart({ width: 600, height: 340, title, xLabel: 'epoch', yLabel, series, integerX: true }), title);
  };
  const loss = chart('trainLoss', 'Training loss', 'loss', 1);
  const error = chart('testError', 'Test error', 'test error, %', 100);
  if (!loss && !error) return note('No per-epoch records in the results: nothing to plot.');
  return `<div class="row">${loss}${error}</div>
<p class="small">Lines: mean over seeds at each epoch; shaded: min–max over seeds.</p>`;
}

// ── layers ───────────────────────────────────────────────────────────────────────────────────────

/** The run whose layers are shown for an activation: the chosen seed's, else the first seed's. */
function shownRun(ctx: Context, activation: string): RunRecord | undefined {
  const runs = runsOf(ctx.results, activation);
  return runs.find((r) => r.seed === ctx.seed) ?? runs[0];
}

const CURVE_XS = Array.from({ length: 121 }, (_, i) => -6 + i * 0.1);
/** Single channels drawn faintly behind each layer's median curve. */
const FAINT_CHANNELS = 6;

function spreadCell(s: Spread): string {
  return `${sig3(s.median)} <span class="range">[${sig3(s.min)}, ${sig3(s.max)}]</span>`;
}

const KIND_LABELS: Record<ActivationLayerRecord['kind'], string> = {
  AconA: 'ACON-A',
  AconB: 'ACON-B',
  AconC: 'ACON-C',
  MetaAconC: 'Meta-ACON',
};

/** A layer's kind as the paper names it, e.g. "Meta-ACON, β per channel". */
function kindLabel(layer: ActivationLayerRecord): string {
  return KIND_LABELS[layer.kind] + (layer.granularity ? `, β per ${layer.granularity}` : '');
}

/** How the per-sample median β varies, in words: equal medians are said to be equal. */
function medianSpread(medians: number[]): string {
  const [lo, hi] = [sig3(Math.min(...medians)), sig3(Math.max(...medians))];
  return lo === hi ? `here the median β is ${lo} for every sample shown` : `here the median β ranges from ${lo} to ${hi}`;
}

function layersSection(ctx: Context): string {
  const kinds = ctx.names
    .map((a) => ({ activation: a, run: shownRun(ctx, a) }))
    .filter((k): k is { activation: string; run: RunRecord } => k.run !== undefined && k.run.layers.length > 0)
    .map((k) => ({ ...k, summaries: [...k.run.layers].sort((a, b) => a.index - b.index).map(summarizeLayer) }));
  if (kinds.length === 0)
    return note('No run has ACON layers (ReLU and Swish have no learned activation parameters), so there is nothing to show here.');
  const seeds = [...new Set(kinds.map((k) => k.run.seed))];
  const shown =
    seeds.length === 1
      ? `the run of seed ${seeds[0]}`
      : `one run each (${kinds.map((k) => `${esc(label(ctx, k.activation))}: seed ${k.run.seed}`).join(', ')})`;
  const intro = `<p>For each activation with learned parameters, ${shown}.
<b>Activate or not:</b> a channel's <i>sharpness</i> is |σ(z) − σ(−z)| at z = β(p1 − p2)·3 : 0 means f is the straight line (p1 + p2)x/2 on [−3, 3] (not activated), 1 means f is max(p1x, p2x) (activated).
Channels with sharpness &lt; ${LINEAR_SHARPNESS} count as linear.${kinds.some((k) => k.run.layers.some((l) => l.kind === 'MetaAconC')) ? ' For Meta-ACON, β is the generated β averaged over the test samples.' : ''}</p>`;
  const categories = [...new Set(kinds.flatMap((k) => k.summaries.map((s) => s.layer.index)))].sort((a, b) => a - b);
  const bars = (key: 'meanSharpness' | 'linearFraction', title: string) =>
    barChart({
      width: 600,
      height: 300,
      title,
      xLabel: 'activation layer (input → output)',
      yLabel: key === 'meanSharpness' ? 'mean sharpness' : 'fraction of channels',
      yMax: 1,
      categories: categories.map((i) => `L${i}`),
      groups: kinds.map((k) => ({
        label: label(ctx, k.activation),
        color: color(ctx, k.activation),
        values: categories.map((i) => k.summaries.find((s) => s.layer.index === i)?.[key] ?? null),
      })),
    });
  const depth = `<h3>Activate or not, across depth</h3>
<div class="row">${figure(bars('meanSharpness', 'Mean sharpness over channels'), 'Mean sharpness per layer')}${figure(bars('linearFraction', `Fraction of channels with sharpness < ${LINEAR_SHARPNESS}`), 'Fraction of nearly linear channels per layer')}</div>`;
  return intro + depth + kinds.map((k) => layerKind(ctx, k.activation, k.run, k.summaries)).join('\n');
}

function layerKind(ctx: Context, activation: string, run: RunRecord, summaries: LayerSummary[]): string {
  const name = label(ctx, activation),
    c = color(ctx, activation);
  const rows = summaries
    .map(
      (s) =>
        `<tr><td>L${s.layer.index}</td><td class="name">${esc(s.layer.name)}</td><td>${esc(kindLabel(s.layer))}</td><td class="num">${s.channels}</td>` +
        `<td class="num">${spreadCell(s.p1)}</td><td class="num">${spreadCell(s.p2)}</td><td class="num">${spreadCell(s.beta)}</td>` +
        `<td class="num">${s.meanSharpness.toFixed(2)}</td><td class="num">${pct(s.linearFraction, 0)}%</td></tr>`,
    )
    .join('');
  const table = `<table class="layers"><thead><tr><th>Layer</th><th>Name</th><th>Kind</th><th>Channels</th><th>p1: median [min, max]</th><th>p2: median [min, max]</th><th>β: median [min, max]</th><th>Mean sharpness</th><th>Linear channels</th></tr></thead><tbody>${rows}</tbody></table>`;
  const panels = summaries.flatMap((s) => {
    const curves = layerCurves(s.layer, CURVE_XS, FAINT_CHANNELS);
    const panel = (key: 'f' | 'df', what: string) =>
      lineChart({
        width: 290,
        height: 200,
        title: `L${s.layer.index} ${what} · ${s.layer.name}`,
        legend: false,
        zeroLines: true,
        series: [
          ...curves.channels.map((ch) => ({
            label: `channel ${ch.channel}`,
            color: c,
            width: 1,
            opacity: 0.3,
            points: CURVE_XS.map((x, i) => [x, ch[key][i]] as const),
          })),
          { label: 'median over channels', color: c, width: 2.5, points: CURVE_XS.map((x, i) => [x, curves.median[key][i]] as const) },
        ],
      });
    return [panel('f', 'f(x)'), panel('df', 'f′(x)')];
  });
  return `<h3><span class="swatch" style="background:${c}"></span>${esc(name)} — seed ${run.seed}</h3>
${table}
${figure(smallMultiples(panels, 4), `${name}: learned activation curves per layer`, `f(x) and f′(x) on x ∈ [−6, 6] for each layer. Bold: the pointwise median over channels of f<sub>c</sub>(x) (resp. f<sub>c</sub>′(x)); faint: up to ${FAINT_CHANNELS} single channels at evenly spaced ranks of sharpness, from the most linear to the most switched.`)}`;
}

// ── β distribution ───────────────────────────────────────────────────────────────────────────────

/** The last activation layer of the first activation whose shown run's last layer is of `kind`. */
function lastLayerOf(
  ctx: Context,
  kind: ActivationLayerRecord['kind'],
): { activation: string; run: RunRecord; layer: ActivationLayerRecord } | undefined {
  for (const activation of ctx.names) {
    const run = shownRun(ctx, activation);
    const layer = run?.layers.reduce<ActivationLayerRecord | undefined>(
      (last, l) => (last === undefined || l.index > last.index ? l : last),
      undefined,
    );
    if (run && layer?.kind === kind) return { activation, run, layer };
  }
  return undefined;
}

function betaSection(ctx: Context): string {
  const meta = lastLayerOf(ctx, 'MetaAconC');
  if (!meta)
    return note(
      'No Meta-ACON run in these results, so the β distribution of ACON-C vs Meta-ACON over test samples (the paper’s figure) cannot be drawn.',
    );
  const perSample = (meta.layer.betaPerSample ?? []).slice(0, 7);
  if (perSample.length === 0)
    return note(
      `The Meta-ACON run (seed ${meta.run.seed}) recorded no per-sample β (betaPerSample), so the β distribution over test samples cannot be drawn.`,
    );
  const acon = lastLayerOf(ctx, 'AconC');
  const indices = meta.run.betaSampleIndices;
  const categories = perSample.map((_, i) => (indices?.[i] !== undefined ? `#${indices[i]}` : `sample ${i + 1}`));
  const groups = [
    ...(acon
      ? [
          {
            label: `${label(ctx, acon.activation)} (seed ${acon.run.seed})`,
            color: color(ctx, acon.activation),
            values: perSample.map((_, i) => acon.layer.betaPerSample?.[i] ?? acon.layer.beta),
          },
        ]
      : []),
    { label: `${label(ctx, meta.activation)} (seed ${meta.run.seed})`, color: color(ctx, meta.activation), values: perSample },
  ];
  const medians = perSample.map((b) => median(b));
  const fig = distributionChart({
    width: 1100,
    height: 360,
    title: `β per channel in the last activation layer (${meta.layer.name}), for ${perSample.length} test samples`,
    xLabel: 'test sample (index in the test set)',
    yLabel: 'β',
    categories,
    groups,
  });
  const aconText = acon
    ? `ACON-C's β is a learned constant, identical for every sample (median ${sig3(median(acon.layer.beta))}, layer ${esc(acon.layer.name)}).`
    : 'There is no ACON-C run to compare with.';
  return `<p>The paper's figure: β of every channel of the last activation layer, for ${perSample.length} random test samples. ${aconText}
Meta-ACON generates β from each input, so its distribution can move from sample to sample: ${medianSpread(medians)}.</p>
${figure(fig, 'β distribution of ACON-C vs Meta-ACON over test samples', 'Dots: channels (at most 200 per box, evenly spaced in rank); box: quartiles; thick line: median; whiskers: min and max.')}`;
}

// ── ACON-C family ────────────────────────────────────────────────────────────────────────────────

const FAMILY = { p1: 1.2, p2: -0.8, betas: [0, 0.25, 0.5, 1, 2, 5, 10, Infinity] };
const FAMILY_COLORS = ['#b0b0b0', '#9ecae1', '#6baed6', '#3182bd', '#08519c', '#756bb1', '#54278f', '#000000'];
/** An even number of samples over [−6, 6] skips x = 0, where β = ∞ would give ∞·0. */
const FAMILY_XS = Array.from({ length: 600 }, (_, i) => -6 + (12 * i) / 599);

function familySection(): string {
  const { p1, p2, betas } = FAMILY;
  const betaLabel = (b: number) => (b === Infinity ? 'β = ∞: max(p1x, p2x)' : `β = ${b}`);
  const series = (fn: (x: number, b: number) => number): LineSeries[] =>
    betas.map((b, i) => ({
      label: betaLabel(b),
      color: FAMILY_COLORS[i],
      width: b === Infinity ? 2.5 : 2,
      points: FAMILY_XS.map((x) => [x, fn(x, b)] as const),
    }));
  const { lower, upper } = aconCDerivativeBounds(p1, p2);
  const bound = (v: number, what: string): LineSeries => ({
    label: `${what} ${fixed(v, 3)}`,
    color: '#c0392b',
    dash: '6 4',
    width: 1.5,
    points: [
      [-6, v],
      [6, v],
    ],
  });
  const f = lineChart({
    width: 600,
    height: 380,
    title: `f(x), p1 = ${fixed(p1, 1)}, p2 = ${fixed(p2, 1)}`,
    xLabel: 'x',
    yLabel: 'f(x)',
    zeroLines: true,
    series: series((x, b) => aconC(x, p1, p2, b)),
  });
  const df = lineChart({
    width: 600,
    height: 380,
    title: 'f′(x) and its bounds',
    xLabel: 'x',
    yLabel: 'f′(x)',
    zeroLines: true,
    series: [
      ...series((x, b) => aconCDerivative(x, p1, p2, b)),
      bound(upper, 'upper κp1 − (κ−1)p2 ='),
      bound(lower, 'lower κp2 − (κ−1)p1 ='),
    ],
  });
  return `<p>ACON-C is f(x) = (p1 − p2)x·σ(β(p1 − p2)x) + p2x. β switches it between not activating (β = 0: the line (p1 + p2)x/2) and activating (β → ∞: max(p1x, p2x)).
Its derivative goes from p2 (x → −∞) to p1 (x → +∞) and, whatever β, stays within [κ·p2 − (κ−1)·p1, κ·p1 − (κ−1)·p2] = [${fixed(lower, 3)}, ${fixed(upper, 3)}] (dashed), κ = ${fixed(DERIVATIVE_OVERSHOOT, 5)}; β only sets how fast it gets there.</p>
<div class="row">${figure(f, 'ACON-C family f(x) for several β')}${figure(df, 'ACON-C derivative for several β with its bounds')}</div>`;
}

const CSS = `
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; background: #fff; margin: 0; }
header, main, footer { max-width: 1240px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; border-bottom: 1px solid #ddd; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #eee; }
h3 { font-size: 17px; margin: 24px 0 8px; }
nav { display: flex; flex-wrap: wrap; gap: 4px 18px; padding: 8px 0 12px; }
nav a { color: #0b5cad; text-decoration: none; }
nav a:hover { text-decoration: underline; }
.meta, .small, figcaption, footer { color: #555; font-size: 13px; }
footer { margin-top: 40px; padding-top: 12px; padding-bottom: 24px; border-top: 1px solid #ddd; }
table { border-collapse: collapse; margin: 8px 0; font-size: 14px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e6e6e6; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #bbb; font-weight: 600; vertical-align: bottom; }
tbody tr:nth-child(even) { background: #fafafa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.layers td { white-space: nowrap; }
table.errors tbody th { white-space: nowrap; }
td.name { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; }
table.config th { font-weight: 600; color: #444; white-space: nowrap; }
tr.best th, tr.best td:first-of-type { font-weight: 700; }
.ref { background: #f4f1ea; color: #5a4a2a; }
.n, .range { color: #777; font-size: 12px; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 7px; vertical-align: baseline; }
.verdict { background: #eef5fb; border-left: 4px solid #0b5cad; padding: 8px 12px; }
.missing { background: #fff6e5; border-left: 4px solid #e69f00; padding: 8px 12px; }
.row { display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: flex-start; }
figure { margin: 8px 0 16px; }
svg.chart { max-width: 100%; height: auto; display: block; }
code { font-size: 13px; background: #f3f3f3; padding: 0 3px; border-radius: 3px; }
`;
