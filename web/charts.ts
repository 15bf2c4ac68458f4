/**
 * Charts for the page: the report's SVG kit (src/report/svg.ts) sized to their box, with an HTML
 * legend under the plot when the box is narrow (phone width), and the plotted series kept for
 * inspection (tests read them through `window.aconExplorer`).
 */
import { barChart, lineChart, renderSvg, type BarChartOptions, type LineChartOptions, type LineSeries } from '../src/report/svg.js';
import { escapeXml } from '../src/report/escape.js';

/** Series drawn in each chart box, by box id. */
export const plotted = new Map<string, readonly LineSeries[]>();

const NARROW = 560;

function boxSize(el: HTMLElement, aspect: number, minHeight: number, maxHeight: number): { width: number; height: number } {
  const width = Math.max(240, Math.floor(el.clientWidth || 600));
  return { width, height: Math.round(Math.min(maxHeight, Math.max(minHeight, width * aspect))) };
}

export function htmlLegend(items: readonly { label: string; color: string; dash?: string }[]): string {
  const li = items.map((s) => `<li style="--swatch:${s.color};--dash:${s.dash ? 'dashed' : 'solid'}">${escapeXml(s.label)}</li>`);
  return `<ul class="legend">${li.join('')}</ul>`;
}

export interface ChartBoxOptions {
  aspect?: number;
  minHeight?: number;
  maxHeight?: number;
  /** Draw the legend (default true); off for small multiples that share one. */
  legend?: boolean;
}

/** Draws a line chart into `el`, as wide as the box; `label` is its accessible name. */
export function drawLineChart(
  el: HTMLElement,
  o: Omit<LineChartOptions, 'width' | 'height' | 'legend'>,
  label: string,
  box: ChartBoxOptions = {},
): void {
  const { width, height } = boxSize(el, box.aspect ?? 0.62, box.minHeight ?? 200, box.maxHeight ?? 380);
  const narrow = width < NARROW;
  const fig = lineChart({ ...o, width, height, legend: !narrow && box.legend !== false });
  const items = box.legend === false ? [] : o.series.filter((s) => s.legend !== false);
  el.innerHTML = renderSvg(fig, label) + (narrow && items.length > 0 ? htmlLegend(items) : '');
  plotted.set(el.id, o.series);
}

export function drawBarChart(
  el: HTMLElement,
  o: Omit<BarChartOptions, 'width' | 'height'>,
  label: string,
  box: ChartBoxOptions = {},
): void {
  // Taller when narrow: the legend takes the side of the plot.
  const { width, height } = boxSize(el, box.aspect ?? (el.clientWidth < NARROW ? 0.8 : 0.5), box.minHeight ?? 200, box.maxHeight ?? 320);
  el.innerHTML = renderSvg(barChart({ ...o, width, height }), label);
}

/** `count` evenly spaced values from lo to hi. */
export function linspace(lo: number, hi: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => lo + ((hi - lo) * i) / (count - 1));
}
