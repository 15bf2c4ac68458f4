/**
 * "Learned layers": a results.json from `acon compare` (read with the project's parser), a saved
 * tfjs model (model.json + weights, its ACON layers read with `inspectActivations`), or a
 * PyTorch-named `.safetensors` state_dict (its ACON modules found by `aconLayersOf`). Shows
 * each layer's learned f and f′, the "activate or not" summary across depth, and the β
 * histograms of ACON-C vs Meta-ACON (the paper's figure: β of the last layers over test images).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { interop } from 'acon';
import { aconLayersOf } from '../src/interop/acon_layers.js';
import { activationStyles } from '../src/report/activations.js';
import { summarizeLayer } from '../src/report/activation_layers.js';
import { inspectActivations } from '../src/train/inspect.js';
import { parseResults, type ActivationLayerRecord } from '../src/results/schema.js';
import { chooseBackend } from './backend.js';
import { drawBarChart, drawLineChart } from './charts.js';
import { loadSample } from './data.js';
import { drawLayerPanels } from './layer_plots.js';

/** What was loaded: one entry per trained network that has ACON layers. */
interface LoadedRun {
  label: string;
  activation: string;
  seed?: number;
  layers: ActivationLayerRecord[];
}

interface Loaded {
  source: string;
  runs: LoadedRun[];
}

export interface LayersView {
  resize(): void;
  snapshot():
    { source: string; runs: string[]; selected: string; panels: number; histogramGroups: string[]; depthSeries: string[] } | undefined;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const fmt = (v: number) => Number(v.toPrecision(3)).toString().replace('-', '−');
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function fromResults(text: string, name: string): Loaded {
  const results = parseResults(text);
  const runs = results.runs
    .filter((r) => r.layers.length > 0)
    .map((r) => ({ label: `${r.activation}, seed ${r.seed}`, activation: r.activation, seed: r.seed, layers: r.layers }));
  if (runs.length === 0) throw new Error(`${name}: no run has ACON layers (activations: ${results.config.activations.join(', ')})`);
  return { source: `${name}: ${results.config.model}, ${results.runs.length} runs, ${results.config.epochs} epochs`, runs };
}

/** Test images for Meta-ACON's generated β when the model takes Fashion-MNIST; else seeded noise. */
async function probeImages(model: tfl.LayersModel): Promise<{ images: tf.Tensor; what: string }> {
  const shape = model.inputs[0].shape.slice(1) as number[];
  if (shape.join() === '28,28,1') {
    const { test } = await loadSample();
    const n = 64;
    const px = Float32Array.from(test.images.subarray(0, n * 784), (p) => p / 255);
    return { images: tf.tensor4d(px, [n, 28, 28, 1]), what: `β over ${n} bundled test images` };
  }
  return {
    images: tf.randomNormal([16, ...shape], 0, 1, 'float32', 7),
    what: 'β over 16 random inputs (the model does not take 28×28×1 images)',
  };
}

async function fromModel(files: File[]): Promise<Loaded> {
  const json = files.find((f) => f.name.endsWith('.json'))!;
  const weights = files.filter((f) => f !== json);
  await chooseBackend(new URLSearchParams(location.search).get('backend') ?? undefined);
  const model = await tfl.loadLayersModel(tf.io.browserFiles([json, ...weights]));
  const { images, what } = await probeImages(model);
  try {
    const layers = inspectActivations(model, images, 7);
    if (layers.length === 0) throw new Error(`${json.name}: the model has no ACON layers (AconA, AconB, AconC, MetaAconC)`);
    return {
      source: `${json.name}: ${model.layers.length} layers, ${layers.length} ACON layers; Meta-ACON ${what}`,
      runs: [{ label: model.name, activation: model.name, layers }],
    };
  } finally {
    images.dispose();
    model.dispose();
  }
}

/** A state_dict in PyTorch naming: its ACON modules by their parameter names; Meta-ACON's β needs inputs, so it has none here. */
async function fromSafetensors(file: File): Promise<Loaded> {
  await chooseBackend(new URLSearchParams(location.search).get('backend') ?? undefined);
  let tensors: Record<string, tf.Tensor>;
  try {
    tensors = interop.readSafetensors(new Uint8Array(await file.arrayBuffer()));
  } catch (e) {
    throw new Error(`${file.name}: ${(e as Error).message}`);
  }
  try {
    const layers = aconLayersOf(tensors);
    const count = Object.keys(tensors).length;
    if (layers.length === 0)
      throw new Error(`${file.name}: ${count} tensors, no ACON module (p1/p2/beta, p/beta, beta, or p1/p2/fc1.weight parameters)`);
    const meta = layers.filter((l) => l.kind === 'MetaAconC').length;
    return {
      source:
        `${file.name}: ${count} tensors, ${layers.length} ACON layers` +
        (meta > 0 ? `; Meta-ACON's β is generated from each input, so a state_dict alone shows only its p1, p2` : ''),
      runs: [{ label: file.name, activation: file.name, layers }],
    };
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}

async function load(files: File[]): Promise<Loaded> {
  const jsons = files.filter((f) => f.name.endsWith('.json'));
  const safetensors = files.filter((f) => f.name.endsWith('.safetensors'));
  if (safetensors.length > 1) throw new Error(`choose one .safetensors file, got ${safetensors.length}`);
  if (safetensors.length === 1) return fromSafetensors(safetensors[0]);
  if (jsons.length !== 1)
    throw new Error(`choose one .json file (results.json or model.json) or one .safetensors file, got ${jsons.length} .json files`);
  const text = await jsons[0].text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${jsons[0].name}: not valid JSON (${(e as Error).message})`);
  }
  if (parsed && typeof parsed === 'object' && 'modelTopology' in parsed) return fromModel(files);
  return fromResults(text, jsons[0].name);
}

/** Values of β over samples and channels of one layer (per-sample β if recorded, else per channel); none when unknown. */
function betaValues(layer: ActivationLayerRecord): number[] {
  return (layer.betaPerSample?.flat() ?? layer.beta).filter(Number.isFinite);
}

/** Whether β is known (Meta-ACON read from a state_dict has none: it is generated from each input). */
const hasBeta = (layer: ActivationLayerRecord) => betaValues(layer).length > 0;

/** Histogram bins: fewer on a narrow screen, so that their labels fit. */
const binCount = () => (document.getElementById('layers-content')!.clientWidth < 560 ? 6 : 12);

export function mountLayers(): LayersView {
  const content = $('layers-content'),
    status = $('layers-status');
  let loaded: Loaded | undefined;
  let selected = 0,
    histLayer = -1;
  let histGroups: string[] = [],
    depthSeries: string[] = [];

  function render(): void {
    if (!loaded) return;
    const run = loaded.runs[selected];
    const styles = activationStyles(loaded.runs.map((r) => r.activation));
    const options = loaded.runs
      .map((r, i) => `<option value="${i}"${i === selected ? ' selected' : ''}>${escape(r.label)}</option>`)
      .join('');
    const depth = Math.max(...loaded.runs.map((r) => r.layers.length));
    if (histLayer < 0 || histLayer >= depth) {
      // The deepest layer with a β to show (Meta-ACON read from a state_dict has none).
      histLayer = depth - 1;
      while (histLayer > 0 && !loaded.runs.some((r) => r.layers[histLayer] && hasBeta(r.layers[histLayer]))) histLayer--;
    }
    const layerOptions = Array.from({ length: depth }, (_, i) => {
      const name = loaded!.runs.find((r) => r.layers[i])?.layers[i].name ?? `layer ${i}`;
      return `<option value="${i}"${i === histLayer ? ' selected' : ''}>${escape(name)}</option>`;
    }).join('');
    content.innerHTML = `
      <div class="controls">
        <div class="param wide"><label for="run-select">network</label><select id="run-select">${options}</select></div>
      </div>
      <h3>Activate or not, across depth</h3>
      <figure><div class="chart-box" id="plot-depth"></div>
        <figcaption>Mean switching per layer, |σ(z) − σ(−z)| at z = β(p1 − p2)·3 over channels: 0 is linear ("not activate"), 1 is max(p1x, p2x).</figcaption></figure>
      <div class="table-wrap"><table id="layers-table"><caption>${escape(run.label)}: learned parameters per layer (medians over channels)</caption>
        <thead><tr><th scope="col">layer</th><th scope="col">kind</th><th scope="col">channels</th><th scope="col">p1</th><th scope="col">p2</th><th scope="col">β</th><th scope="col">switching</th><th scope="col">nearly linear</th></tr></thead>
        <tbody></tbody></table></div>
      <h3>β distributions: ACON vs Meta-ACON</h3>
      <div class="controls"><div class="param wide"><label for="hist-layer">layer</label><select id="hist-layer">${layerOptions}</select></div></div>
      <figure><div class="chart-box" id="plot-beta-hist"></div>
        <figcaption>Histogram of β in the chosen layer, over channels and the recorded test samples: ACON-C learns one β per channel; Meta-ACON generates β per sample.</figcaption></figure>
      <h3>Learned f(x) and f′(x) per layer: ${escape(run.label)}</h3>
      <div class="grid" id="layer-panels"></div>`;
    const tbody = content.querySelector('#layers-table tbody')!;
    for (const layer of run.layers) {
      const s = summarizeLayer(layer);
      const tr = document.createElement('tr');
      const known = hasBeta(layer);
      const beta = known ? fmt(s.beta.median) : '<abbr title="generated from each input">G(x)</abbr>';
      const switching = known
        ? `${fmt(s.meanSharpness)} <span class="bar" style="width:${Math.round(40 * s.meanSharpness)}px"></span>`
        : '—';
      tr.innerHTML = `<td>${escape(layer.name)}</td><td>${layer.kind}</td><td>${s.channels}</td><td>${fmt(s.p1.median)}</td><td>${fmt(s.p2.median)}</td><td>${beta}</td><td>${switching}</td><td>${known ? `${Math.round(100 * s.linearFraction)}%` : '—'}</td>`;
      tbody.append(tr);
    }
    const sameSeed = loaded.runs.filter((r) => r.seed === run.seed);
    const depthLines = sameSeed.map((r) => ({
      label: styles.get(r.activation)!.label,
      color: styles.get(r.activation)!.color,
      points: r.layers.map((l) => [l.index, summarizeLayer(l).meanSharpness] as const),
      markers: true,
    }));
    depthSeries = depthLines.map((s) => s.label);
    drawLineChart(
      $('plot-depth'),
      { series: depthLines, xLabel: 'activation layer (0 = first)', yLabel: 'switching', integerX: true },
      'mean switching per layer across depth',
      { maxHeight: 280 },
    );

    // β histograms of the chosen layer, one group per network of the same seed.
    const groups = sameSeed
      .filter((r) => r.layers[histLayer])
      .map((r) => ({ r, values: betaValues(r.layers[histLayer]) }))
      .filter((g) => g.values.length > 0);
    const all = groups.flatMap((g) => g.values);
    const lo = Math.min(...all),
      hi = Math.max(...all);
    const BINS = binCount();
    const width = hi > lo ? (hi - lo) / BINS : 1;
    const categories = Array.from({ length: BINS }, (_, i) => Number((lo + width * (i + 0.5)).toPrecision(2)).toString());
    const bars = groups.map(({ r, values }) => {
      const counts = new Array<number>(BINS).fill(0);
      for (const v of values) counts[Math.min(BINS - 1, Math.floor((v - lo) / width))]++;
      return {
        label: styles.get(r.activation)!.label,
        color: styles.get(r.activation)!.color,
        values: counts.map((c) => c / values.length),
      };
    });
    histGroups = bars.map((b) => b.label);
    if (bars.length > 0)
      drawBarChart(
        $('plot-beta-hist'),
        { categories, groups: bars, xLabel: 'β (bin centre)', yLabel: 'fraction' },
        `histogram of β in layer ${histLayer}`,
      );
    else
      $('plot-beta-hist').textContent =
        'No β in this layer: Meta-ACON generates it from each input, which a state_dict alone does not have.';
    drawLayerPanels($('layer-panels'), run.layers.filter(hasBeta), 'layer');
    $<HTMLSelectElement>('run-select').addEventListener('change', (e) => {
      selected = Number((e.target as HTMLSelectElement).value);
      render();
    });
    $<HTMLSelectElement>('hist-layer').addEventListener('change', (e) => {
      histLayer = Number((e.target as HTMLSelectElement).value);
      render();
      $('hist-layer').focus();
    });
  }

  async function open(files: File[]): Promise<void> {
    status.classList.remove('error');
    status.textContent = `reading ${files.map((f) => f.name).join(', ')}…`;
    try {
      loaded = await load(files);
      selected = Math.max(
        0,
        loaded.runs.findIndex((r) => r.layers.some((l) => l.kind === 'AconC')),
      );
      histLayer = -1;
      status.textContent = `loaded ${loaded.source}`;
      render();
    } catch (e) {
      status.classList.add('error');
      status.textContent = (e as Error).message;
      console.warn(e);
    }
  }

  const input = $<HTMLInputElement>('file-input');
  input.addEventListener('change', () => void open([...(input.files ?? [])]));
  const zone = $('drop-zone');
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    void open([...(e.dataTransfer?.files ?? [])]);
  });

  return {
    resize: render,
    snapshot: () =>
      loaded && {
        source: loaded.source,
        runs: loaded.runs.map((r) => r.label),
        selected: loaded.runs[selected].label,
        panels: document.querySelectorAll('#layer-panels .layer-panel').length,
        histogramGroups: histGroups,
        depthSeries,
      },
  };
}
