/**
 * Small multiples of learned ACON layers: per layer, f(x) and f′(x) of a few channels (faint, from
 * most linear to most switching) around the pointwise median over channels — the report's
 * `layerCurves`, drawn in the page.
 */
import { layerCurves, summarizeLayer } from '../src/report/activation_layers.js';
import type { LineSeries } from '../src/report/svg.js';
import type { ActivationLayerRecord } from '../src/results/schema.js';
import { drawLineChart, htmlLegend, linspace } from './charts.js';

const XS = linspace(-4, 4, 81);
const CHANNEL_COLOR = '#6baed6',
  MEDIAN_COLOR = '#08306b';

function layerSeries(layer: ActivationLayerRecord, key: 'f' | 'df'): LineSeries[] {
  const c = layerCurves(layer, XS, 6);
  const pts = (ys: number[]) => XS.map((x, i) => [x, ys[i]] as const);
  return [
    ...c.channels.map((ch, i) => ({
      label: i === 0 ? 'some channels' : `channel ${ch.channel}`,
      color: CHANNEL_COLOR,
      points: pts(ch[key]),
      width: 1,
      opacity: 0.7,
      legend: i === 0,
    })),
    { label: 'median over channels', color: MEDIAN_COLOR, points: pts(c.median[key]), width: 2.5 },
  ];
}

const fmt = (v: number) => Number(v.toPrecision(3)).toString().replace('-', '−');

/** One figure per layer (f and f′ side by side) into `container`; ids are `${prefix}-${index}-f|df`. */
export function drawLayerPanels(container: HTMLElement, layers: readonly ActivationLayerRecord[], prefix: string): void {
  container.replaceChildren();
  if (layers.length > 0) {
    const key = document.createElement('div');
    key.className = 'grid-legend';
    key.innerHTML = htmlLegend([
      { label: 'a few channels, from most linear to most switching', color: CHANNEL_COLOR },
      { label: 'median over channels', color: MEDIAN_COLOR },
    ]);
    container.append(key);
  }
  for (const layer of layers) {
    const s = summarizeLayer(layer);
    const fig = document.createElement('figure');
    fig.className = 'layer-panel';
    const fBox = document.createElement('div'),
      dfBox = document.createElement('div');
    fBox.id = `${prefix}-${layer.index}-f`;
    dfBox.id = `${prefix}-${layer.index}-df`;
    fBox.className = dfBox.className = 'chart-box';
    const cap = document.createElement('figcaption');
    cap.textContent =
      `${layer.name} (${layer.kind}${layer.granularity ? `, ${layer.granularity}` : ''}, ${s.channels} channels): ` +
      `median p1 ${fmt(s.p1.median)}, p2 ${fmt(s.p2.median)}, β ${fmt(s.beta.median)}; switching ${fmt(s.meanSharpness)}, ` +
      `${Math.round(100 * s.linearFraction)}% of channels nearly linear`;
    fig.append(fBox, dfBox, cap);
    container.append(fig);
    const box = { aspect: 0.7, minHeight: 150, maxHeight: 220, legend: false };
    drawLineChart(
      fBox,
      { series: layerSeries(layer, 'f'), title: `f(x) · ${layer.name}`, zeroLines: true },
      `learned f(x) of ${layer.name}`,
      box,
    );
    drawLineChart(
      dfBox,
      { series: layerSeries(layer, 'df'), title: `f′(x) · ${layer.name}`, zeroLines: true },
      `learned f′(x) of ${layer.name}`,
      box,
    );
  }
}
