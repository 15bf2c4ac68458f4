/**
 * A small SVG plotting kit for the report: line charts (with shaded bands), grouped bar charts,
 * box-and-strip plots of distributions, and grids of small multiples. No dependencies; all text
 * is escaped; coordinates are rounded to 0.01 so the output is deterministic.
 *
 * Charts return a `Figure` (markup in a width × height box) so they can be composed;
 * `renderSvg` turns one into an `<svg>` element for inline HTML5 (no xmlns needed there).
 */
import { escapeXml as esc } from './escape.js';
import { quantile } from './stats.js';

export interface Figure {
  width: number;
  height: number;
  body: string;
}

export type Point = readonly [x: number, y: number];
export type BandPoint = readonly [x: number, lo: number, hi: number];

export interface ChartText {
  title?: string;
  xLabel?: string;
  yLabel?: string;
}

export interface LineSeries {
  label: string;
  color: string;
  /** Non-finite y values break the line. */
  points: readonly Point[];
  /** Shaded area between lo and hi. */
  band?: readonly BandPoint[];
  /** Stroke width (default 2). */
  width?: number;
  /** SVG stroke-dasharray, e.g. '6 4'. */
  dash?: string;
  opacity?: number;
  /** Dots at the points. */
  markers?: boolean;
  /** Listed in the legend (default true). */
  legend?: boolean;
}

export interface LineChartOptions extends ChartText {
  width: number;
  height: number;
  series: readonly LineSeries[];
  /** Legend to the right of the plot (default true). */
  legend?: boolean;
  /** Ticks on whole numbers only along x (e.g. epochs). */
  integerX?: boolean;
  /** Thin lines at x = 0 and y = 0 when inside the plot. */
  zeroLines?: boolean;
}

export interface BarGroup {
  label: string;
  color: string;
  /** One value per category; null draws no bar. */
  values: readonly (number | null)[];
}

export interface BarChartOptions extends ChartText {
  width: number;
  height: number;
  categories: readonly string[];
  groups: readonly BarGroup[];
  /** Top of the y axis (default: from the data). */
  yMax?: number;
}

export interface DistributionGroup {
  label: string;
  color: string;
  /** One sample of values per category; an empty sample draws nothing. */
  values: readonly (readonly number[])[];
}

export interface DistributionChartOptions extends ChartText {
  width: number;
  height: number;
  categories: readonly string[];
  groups: readonly DistributionGroup[];
}

const FONT = { tick: 11, label: 12, title: 13 };
/** Rough average glyph width as a fraction of the font size, for layout. */
const GLYPH = 0.6;
const GRID = '#e4e4e4',
  AXIS = '#444',
  INK = '#222';

/** Number for an SVG attribute: at most two decimals, no "-0". */
function n(v: number): string {
  const r = Math.round(v * 100) / 100;
  return String(r === 0 ? 0 : r);
}

function textWidth(s: string, size: number): number {
  return s.length * size * GLYPH;
}

/** Shortens text to about `width` px, ending with "…" when cut. */
function fit(s: string, width: number, size: number): string {
  const max = Math.max(1, Math.floor(width / (size * GLYPH)));
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${n(x)}" y="${n(y)}"${attrs ? ` ${attrs}` : ''}>${esc(s)}</text>`;
}

function line(x1: number, y1: number, x2: number, y2: number, attrs: string): string {
  return `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" ${attrs}/>`;
}

interface Ticks {
  lo: number;
  hi: number;
  values: number[];
  labels: string[];
}

/** About `count` ticks at 1, 2 or 5 × 10^k, with the domain widened to whole ticks; labels use "−". */
export function niceTicks(lo: number, hi: number, count = 5, integer = false): Ticks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  let step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
  if (integer) step = Math.max(1, Math.round(step));
  const first = Math.floor(lo / step + 1e-9),
    last = Math.ceil(hi / step - 1e-9);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const values: number[] = [],
    labels: string[] = [];
  for (let k = first; k <= last; k++) {
    const v = k * step;
    values.push(v);
    labels.push((Math.abs(v) < step / 2 ? 0 : v).toFixed(decimals).replace('-', '−'));
  }
  return { lo: first * step, hi: last * step, values, labels };
}

interface LegendItem {
  label: string;
  color: string;
  dash?: string;
  /** Filled square instead of a line sample. */
  box?: boolean;
}

const LEGEND_ROW = 18;

function legendWidth(items: readonly LegendItem[]): number {
  return items.length === 0 ? 0 : 30 + Math.max(...items.map((i) => textWidth(i.label, FONT.label)));
}

function legend(items: readonly LegendItem[], x: number, y: number): string {
  return items
    .map((item, i) => {
      const cy = y + i * LEGEND_ROW + LEGEND_ROW / 2;
      const swatch = item.box
        ? `<rect x="${n(x)}" y="${n(cy - 5)}" width="18" height="10" fill="${item.color}" fill-opacity="0.6" stroke="${item.color}"/>`
        : line(x, cy, x + 20, cy, `stroke="${item.color}" stroke-width="2.5"${item.dash ? ` stroke-dasharray="${item.dash}"` : ''}`);
      return swatch + text(x + 26, cy + 4, item.label, `font-size="${FONT.label}" fill="${INK}"`);
    })
    .join('');
}

interface Frame {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Plot area inside the margins needed by the title, tick labels, axis labels and legend. */
function frame(o: ChartText & { width: number; height: number }, yTickLabels: readonly string[], legendW: number): Frame {
  const top = o.title ? 26 : 10;
  const left = (o.yLabel ? 22 : 4) + Math.max(0, ...yTickLabels.map((l) => textWidth(l, FONT.tick))) + 8;
  const bottom = 22 + (o.xLabel ? 18 : 0);
  const right = legendW > 0 ? legendW + 18 : 12;
  return { left, top, width: Math.max(20, o.width - left - right), height: Math.max(20, o.height - top - bottom) };
}

function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

/** Title, axis labels, y grid and y tick labels, x axis line. */
function axes(o: ChartText & { width: number }, f: Frame, yTicks: Ticks, y: (v: number) => number): string {
  const parts: string[] = [];
  if (o.title)
    parts.push(text(f.left, 16, fit(o.title, o.width - f.left, FONT.title), `font-size="${FONT.title}" font-weight="600" fill="${INK}"`));
  yTicks.values.forEach((v, i) => {
    parts.push(line(f.left, y(v), f.left + f.width, y(v), `stroke="${GRID}"`));
    parts.push(text(f.left - 6, y(v) + 4, yTicks.labels[i], `font-size="${FONT.tick}" text-anchor="end" fill="${AXIS}"`));
  });
  const bottom = f.top + f.height;
  parts.push(line(f.left, bottom, f.left + f.width, bottom, `stroke="${AXIS}"`));
  parts.push(line(f.left, f.top, f.left, bottom, `stroke="${AXIS}"`));
  if (o.xLabel)
    parts.push(text(f.left + f.width / 2, bottom + 36, o.xLabel, `font-size="${FONT.label}" text-anchor="middle" fill="${INK}"`));
  if (o.yLabel) {
    const cx = 12,
      cy = f.top + f.height / 2;
    parts.push(
      text(
        cx,
        cy,
        fit(o.yLabel, f.height, FONT.label),
        `font-size="${FONT.label}" text-anchor="middle" fill="${INK}" transform="rotate(-90 ${n(cx)} ${n(cy)})"`,
      ),
    );
  }
  return parts.join('');
}

/** Category labels centred under their slots. */
function categoryAxis(categories: readonly string[], f: Frame): string {
  const slot = f.width / Math.max(1, categories.length);
  return categories
    .map((c, i) =>
      text(
        f.left + slot * (i + 0.5),
        f.top + f.height + 16,
        fit(c, slot, FONT.tick),
        `font-size="${FONT.tick}" text-anchor="middle" fill="${AXIS}"`,
      ),
    )
    .join('');
}

function extent(values: Iterable<number>): [number, number] {
  let lo = Infinity,
    hi = -Infinity;
  for (const v of values)
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** `M … L …` path through the points, restarting after non-finite values. */
function pathData(points: readonly Point[], x: (v: number) => number, y: (v: number) => number): string {
  let d = '',
    pen = false;
  for (const [px, py] of points) {
    if (!Number.isFinite(px) || !Number.isFinite(py)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${n(x(px))} ${n(y(py))}`;
    pen = true;
  }
  return d;
}

export function lineChart(o: LineChartOptions): Figure {
  const xs = o.series.flatMap((s) => [...s.points.map((p) => p[0]), ...(s.band ?? []).map((b) => b[0])]);
  const ys = o.series.flatMap((s) => [...s.points.map((p) => p[1]), ...(s.band ?? []).flatMap((b) => [b[1], b[2]])]);
  const [x0, x1] = extent(xs),
    [y0, y1] = extent(ys);
  const xt = niceTicks(x0, x1, 6, o.integerX);
  // A little headroom keeps lines at the extremes off the frame.
  const yt = niceTicks(y0 - (y1 - y0) * 0.02, y1 + (y1 - y0) * 0.02, 5);
  const items: LegendItem[] =
    o.legend === false ? [] : o.series.filter((s) => s.legend !== false).map((s) => ({ label: s.label, color: s.color, dash: s.dash }));
  const f = frame(o, yt.labels, legendWidth(items));
  // x spans exactly the data (epochs 1…N, x ∈ [−6, 6]); y is widened to whole ticks.
  const x = scale(x0, x1 === x0 ? x0 + 1 : x1, f.left, f.left + f.width);
  const y = scale(yt.lo, yt.hi, f.top + f.height, f.top);
  const parts = [axes(o, f, yt, y)];
  xt.values.forEach((v, i) => {
    if (v < x0 - 1e-9 || v > x1 + 1e-9) return;
    parts.push(line(x(v), f.top + f.height, x(v), f.top + f.height + 4, `stroke="${AXIS}"`));
    parts.push(text(x(v), f.top + f.height + 16, xt.labels[i], `font-size="${FONT.tick}" text-anchor="middle" fill="${AXIS}"`));
  });
  if (o.zeroLines) {
    if (yt.lo < 0 && yt.hi > 0) parts.push(line(f.left, y(0), f.left + f.width, y(0), `stroke="#999" stroke-width="1"`));
    if (x0 < 0 && x1 > 0) parts.push(line(x(0), f.top, x(0), f.top + f.height, `stroke="#999" stroke-width="1"`));
  }
  for (const s of o.series) {
    if (s.band && s.band.length > 0) {
      const upper = s.band.map(([bx, , hi]) => `${n(x(bx))},${n(y(hi))}`);
      const lower = s.band.map(([bx, lo]) => `${n(x(bx))},${n(y(lo))}`).reverse();
      parts.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${s.color}" fill-opacity="0.15" stroke="none"/>`);
    }
  }
  for (const s of o.series) {
    const style = `fill="none" stroke="${s.color}" stroke-width="${s.width ?? 2}" stroke-linejoin="round"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}${s.opacity !== undefined ? ` stroke-opacity="${s.opacity}"` : ''}`;
    const d = pathData(s.points, x, y);
    if (d) parts.push(`<path d="${d}" ${style}/>`);
    if (s.markers)
      for (const [px, py] of s.points)
        if (Number.isFinite(py)) parts.push(`<circle cx="${n(x(px))}" cy="${n(y(py))}" r="2.5" fill="${s.color}"/>`);
  }
  parts.push(legend(items, f.left + f.width + 16, f.top));
  return { width: o.width, height: o.height, body: parts.join('') };
}

export function barChart(o: BarChartOptions): Figure {
  const values = o.groups.flatMap((g) => g.values.filter((v): v is number => v !== null));
  const yt = niceTicks(Math.min(0, ...values), o.yMax ?? Math.max(0, ...values), 5);
  const items = o.groups.map((g) => ({ label: g.label, color: g.color, box: true }));
  const f = frame(o, yt.labels, legendWidth(items));
  const y = scale(yt.lo, yt.hi, f.top + f.height, f.top);
  const slot = f.width / Math.max(1, o.categories.length);
  const barW = Math.min(48, (slot * 0.8) / Math.max(1, o.groups.length));
  const inset = (slot - barW * o.groups.length) / 2;
  const parts = [axes(o, f, yt, y), categoryAxis(o.categories, f)];
  o.groups.forEach((g, gi) =>
    g.values.forEach((v, ci) => {
      if (v === null || !Number.isFinite(v)) return;
      const bx = f.left + slot * ci + inset + barW * gi;
      const top = y(Math.max(v, 0)),
        h = Math.abs(y(v) - y(0));
      parts.push(`<rect x="${n(bx)}" y="${n(top)}" width="${n(Math.max(1, barW - 1))}" height="${n(h)}" fill="${g.color}"/>`);
    }),
  );
  parts.push(legend(items, f.left + f.width + 16, f.top));
  return { width: o.width, height: o.height, body: parts.join('') };
}

/** Position in [−0.5, 0.5) for the i-th dot of a strip (golden-ratio sequence: even and fixed). */
function jitter(i: number): number {
  return ((i * 0.6180339887498949) % 1) - 0.5;
}

/** At most this many dots per column; larger samples show evenly spaced order statistics. */
const MAX_DOTS = 200;

function dotsOf(vs: readonly number[]): readonly number[] {
  if (vs.length <= MAX_DOTS) return vs;
  const sorted = [...vs].sort((a, b) => a - b);
  return Array.from({ length: MAX_DOTS }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (MAX_DOTS - 1))]);
}

/**
 * Box-and-strip plot: for each category, one column per group with the values as faint dots
 * (up to `MAX_DOTS`), a box from the first to the third quartile, a line at the median and
 * whiskers to min and max.
 */
export function distributionChart(o: DistributionChartOptions): Figure {
  const [lo, hi] = extent(o.groups.flatMap((g) => g.values.flat()));
  const yt = niceTicks(lo, hi, 5);
  const items = o.groups.map((g) => ({ label: g.label, color: g.color, box: true }));
  const f = frame(o, yt.labels, legendWidth(items));
  const y = scale(yt.lo, yt.hi, f.top + f.height, f.top);
  const slot = f.width / Math.max(1, o.categories.length);
  const colW = (slot * 0.8) / Math.max(1, o.groups.length);
  const boxW = Math.min(colW * 0.7, 40);
  const parts = [axes(o, f, yt, y), categoryAxis(o.categories, f)];
  o.groups.forEach((g, gi) =>
    g.values.forEach((vs, ci) => {
      if (vs.length === 0) return;
      const cx = f.left + slot * ci + slot * 0.1 + colW * (gi + 0.5);
      dotsOf(vs).forEach((v, i) =>
        parts.push(`<circle cx="${n(cx + jitter(i) * boxW)}" cy="${n(y(v))}" r="1.6" fill="${g.color}" fill-opacity="0.35"/>`),
      );
      const [q0, q1, q2, q3, q4] = [0, 0.25, 0.5, 0.75, 1].map((q) => quantile(vs, q));
      const stroke = `stroke="${g.color}" stroke-width="1.5"`;
      parts.push(line(cx, y(q0), cx, y(q1), stroke), line(cx, y(q3), cx, y(q4), stroke));
      parts.push(line(cx - boxW / 4, y(q0), cx + boxW / 4, y(q0), stroke), line(cx - boxW / 4, y(q4), cx + boxW / 4, y(q4), stroke));
      parts.push(
        `<rect x="${n(cx - boxW / 2)}" y="${n(y(q3))}" width="${n(boxW)}" height="${n(Math.max(1, y(q1) - y(q3)))}" fill="${g.color}" fill-opacity="0.12" ${stroke}/>`,
      );
      parts.push(line(cx - boxW / 2, y(q2), cx + boxW / 2, y(q2), `stroke="${g.color}" stroke-width="3"`));
    }),
  );
  parts.push(legend(items, f.left + f.width + 16, f.top));
  return { width: o.width, height: o.height, body: parts.join('') };
}

/** Panels laid out left to right, top to bottom, in cells the size of the largest panel. */
export function smallMultiples(panels: readonly Figure[], columns: number, gap = 12): Figure {
  const cw = Math.max(0, ...panels.map((p) => p.width)),
    ch = Math.max(0, ...panels.map((p) => p.height));
  const cols = Math.max(1, Math.min(columns, panels.length));
  const rows = Math.ceil(panels.length / cols);
  const body = panels
    .map((p, i) => `<g transform="translate(${n((i % cols) * (cw + gap))} ${n(Math.floor(i / cols) * (ch + gap))})">${p.body}</g>`)
    .join('');
  return { width: cols * cw + (cols - 1) * gap, height: Math.max(0, rows * ch + (rows - 1) * gap), body };
}

/** The figure as an inline `<svg>` element; `label` is its accessible name and tooltip. */
export function renderSvg(fig: Figure, label: string): string {
  return `<svg class="chart" viewBox="0 0 ${n(fig.width)} ${n(fig.height)}" width="${n(fig.width)}" height="${n(fig.height)}" role="img" aria-label="${esc(label)}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"><title>${esc(label)}</title>${fig.body}</svg>`;
}
