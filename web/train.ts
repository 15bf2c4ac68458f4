/**
 * "Train in your browser": the same small network with ReLU, ACON-C and Meta-ACON, trained side by
 * side on the bundled Fashion-MNIST sample, one batch each in turn, with live curves and a live
 * view of what the ACON layers learn. The layers come from the experiment's activation factory (src/models/activation.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { makeActivation, type ActivationSpec } from '../src/models/activation.js';
import type { LineSeries } from '../src/report/svg.js';
import { inspectActivations } from '../src/train/inspect.js';
import { activationStyles } from '../src/report/activations.js';
import { chooseBackend, type BackendChoice } from './backend.js';
import { drawLineChart } from './charts.js';
import { loadSample, type SampleSplit } from './data.js';
import { drawLayerPanels } from './layer_plots.js';
import { permutation } from '../src/util/random.js';
import type { ExplorerState } from './state.js';

const ARMS: { key: string; spec: ActivationSpec }[] = [
  { key: 'relu', spec: { kind: 'relu' } },
  { key: 'aconC', spec: { kind: 'aconC' } },
  { key: 'metaAconC', spec: { kind: 'metaAconC' } },
];
const BATCH = 32;
const EVAL_EVERY = 25;
const EVAL_IMAGES = 500;
const SMOOTH = 10;

interface ArmState {
  key: string;
  label: string;
  color: string;
  model: tfl.LayersModel;
  losses: number[];
  accuracy: [step: number, acc: number][];
  seconds: number;
  images: number;
}

export interface TrainSnapshot {
  backend?: BackendChoice;
  state: 'idle' | 'loading' | 'running' | 'stopped' | 'done' | 'failed';
  step: number;
  arms: { key: string; losses: number[]; accuracy: [number, number][]; imagesPerSec: number }[];
  error?: string;
}

export interface TrainView {
  resize(): void;
  snapshot(): TrainSnapshot;
}

function buildNet(spec: ActivationSpec, seed: number): tfl.LayersModel {
  const init = (k: number) => tfl.initializers.heNormal({ seed: seed * 10 + k });
  // Dense layers only: tfjs's wasm backend has no convolution gradients in browsers.
  return tfl.sequential({
    name: `net_${spec.kind}`,
    layers: [
      tfl.layers.flatten({ inputShape: [28, 28, 1], name: 'flatten' }),
      tfl.layers.dense({ units: 64, kernelInitializer: init(1), name: 'fc1' }),
      makeActivation(spec, 'act1'),
      tfl.layers.dense({ units: 32, kernelInitializer: init(2), name: 'fc2' }),
      makeActivation(spec, 'act2'),
      tfl.layers.dense({
        units: 10,
        activation: 'softmax',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed * 10 + 3 }),
        name: 'logits',
      }),
    ],
  });
}

/** Images `[n, 28, 28, 1]` scaled to [0, 1] and one-hot labels for the items `indices`. */
function tensors(split: SampleSplit, indices: ArrayLike<number>): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const n = indices.length;
  const px = new Float32Array(n * 784);
  const labels = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    for (let j = 0; j < 784; j++) px[k * 784 + j] = split.images[i * 784 + j] / 255;
    labels[k] = split.labels[i];
  }
  return tf.tidy(() => ({
    x: tf.tensor4d(px, [n, 28, 28, 1]),
    y: tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 10), 'float32') as tf.Tensor2D,
  }));
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const fmt = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '–');

export function mountTraining(getState: () => ExplorerState, update: (change: Partial<ExplorerState>) => void): TrainView {
  const start = $<HTMLButtonElement>('train-start'),
    stop = $<HTMLButtonElement>('train-stop'),
    stepsInput = $<HTMLInputElement>('train-steps'),
    status = $('train-status');
  stepsInput.value = String(getState().steps);
  stepsInput.addEventListener('change', () => {
    const v = Math.round(Number(stepsInput.value));
    if (v >= 1 && v <= 5000) update({ steps: v });
  });
  const snap: TrainSnapshot = { state: 'idle', step: 0, arms: [] };
  let arms: ArmState[] = [];
  let running = false;

  const say = (text: string) => (status.textContent = text);

  function renderCurves(): void {
    const loss: LineSeries[] = arms.map((a) => ({
      label: a.label,
      color: a.color,
      points: a.losses.map((_, i) => {
        const w = a.losses.slice(Math.max(0, i - SMOOTH + 1), i + 1);
        return [i + 1, w.reduce((s, v) => s + v, 0) / w.length] as const;
      }),
    }));
    const acc: LineSeries[] = arms.map((a) => ({ label: a.label, color: a.color, points: a.accuracy, markers: true }));
    drawLineChart($('plot-loss'), { series: loss, xLabel: 'step', yLabel: 'loss', integerX: true }, 'training loss per step', {
      maxHeight: 300,
    });
    drawLineChart($('plot-acc'), { series: acc, xLabel: 'step', yLabel: 'accuracy', integerX: true }, 'test accuracy', { maxHeight: 300 });
    const tbody = $('train-table').querySelector('tbody')!;
    tbody.innerHTML = arms
      .map(
        (a) =>
          `<tr><td>${a.label}</td><td>${a.losses.length}</td><td>${fmt(a.losses.at(-1) ?? NaN)}</td><td>${fmt(a.accuracy.at(-1)?.[1] ?? NaN)}</td><td>${fmt(a.images / a.seconds, 0)}</td></tr>`,
      )
      .join('');
    $('train-table').hidden = arms.length === 0;
    snap.arms = arms.map((a) => ({ key: a.key, losses: [...a.losses], accuracy: [...a.accuracy], imagesPerSec: a.images / a.seconds }));
  }

  function renderLayers(test: SampleSplit): void {
    const probe = tensors(
      test,
      Array.from({ length: 16 }, (_, i) => i),
    );
    try {
      const records = arms
        .filter((a) => a.key !== 'relu')
        .flatMap((a) => inspectActivations(a.model, probe.x, 4).map((l) => ({ ...l, name: `${a.label} · ${l.name}` })));
      records.forEach((r, i) => (r.index = i));
      drawLayerPanels($('train-layers'), records, 'train-layer');
    } finally {
      tf.dispose([probe.x, probe.y]);
    }
  }

  function evaluate(test: SampleSplit, step: number, evalSet: { x: tf.Tensor4D; y: tf.Tensor2D }): void {
    const truth = tf.tidy(() => tf.argMax(evalSet.y, 1));
    for (const a of arms) {
      const acc = tf.tidy(() => {
        const pred = tf.argMax(a.model.predict(evalSet.x) as tf.Tensor, 1);
        return tf.mean(tf.cast(tf.equal(pred, truth), 'float32')).dataSync()[0];
      });
      a.accuracy.push([step, acc]);
    }
    truth.dispose();
    renderLayers(test);
  }

  async function run(): Promise<void> {
    running = true;
    start.disabled = true;
    stop.disabled = false;
    snap.state = 'loading';
    snap.error = undefined;
    try {
      say('choosing a backend and loading the sample…');
      const backend = (snap.backend ??= await chooseBackend(getState().backend));
      $('footer-backend').textContent = `tfjs backend: ${backend.name}.`;
      const { train, test } = await loadSample();
      arms.forEach((a) => a.model.dispose());
      const styles = activationStyles(ARMS.map((a) => a.key));
      arms = ARMS.map(({ key, spec }) => {
        const model = buildNet(spec, 1);
        model.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
        return {
          key,
          label: styles.get(key)!.label,
          color: styles.get(key)!.color,
          model,
          losses: [],
          accuracy: [],
          seconds: 0,
          images: 0,
        };
      });
      const evalSet = tensors(
        test,
        Array.from({ length: EVAL_IMAGES }, (_, i) => i * 2),
      );
      const steps = getState().steps;
      const order = permutation(train.count, 20210601);
      snap.state = 'running';
      const backendText = `backend ${backend.name}${backend.skipped.length ? ` (skipped ${backend.skipped.join('; ')})` : ''}, ACON op path ${backend.aconPath}`;
      try {
        for (let step = 1; step <= steps && running; step++) {
          const at = ((step - 1) * BATCH) % (train.count - BATCH);
          const batch = tensors(train, order.subarray(at, at + BATCH));
          for (const a of arms) {
            const t0 = performance.now();
            const out = (await a.model.trainOnBatch(batch.x, batch.y)) as number[];
            a.seconds += (performance.now() - t0) / 1000;
            a.images += BATCH;
            a.losses.push(out[0]);
          }
          tf.dispose([batch.x, batch.y]);
          snap.step = step;
          if (step % EVAL_EVERY === 0 || step === steps) evaluate(test, step, evalSet);
          if (step % 5 === 0 || step === steps) {
            renderCurves();
            const speed = arms.map((a) => `${a.label} ${fmt(a.images / a.seconds, 0)} images/s`).join(', ');
            say(`step ${step} of ${steps} · ${backendText} · ${speed}`);
          }
          await new Promise((r) => setTimeout(r, 0));
        }
      } finally {
        tf.dispose([evalSet.x, evalSet.y]);
      }
      snap.state = running ? 'done' : 'stopped';
      say(`${snap.state} after ${snap.step} steps · ${status.textContent?.split(' · ').slice(1).join(' · ')}`);
    } catch (e) {
      snap.state = 'failed';
      snap.error = (e as Error).message;
      status.classList.add('error');
      say(`training failed: ${snap.error}`);
      console.error(e);
    } finally {
      running = false;
      start.disabled = false;
      stop.disabled = true;
    }
  }

  start.addEventListener('click', () => void run());
  stop.addEventListener('click', () => (running = false));
  if (getState().autostart) void run();
  else say('press Start to train the three networks here');
  return {
    resize: () => arms.length > 0 && renderCurves(),
    snapshot: () => ({ ...snap, arms: [...snap.arms] }),
  };
}
