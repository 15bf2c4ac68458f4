/**
 * What each learned ACON layer became: its parameters per channel, its curves f(x) and f'(x)
 * (from the float64 reference math), and how far it switches — the paper's "activate or not".
 */
import type { ActivationLayerRecord } from '../results/schema.js';
import { aconC, aconCDerivative, switchSharpness } from '../math/acon.js';
import { mean, median } from './stats.js';

/** Channels whose `switchSharpness` is below this count as "not activated" (nearly linear). */
export const LINEAR_SHARPNESS = 0.2;

export interface ChannelParams {
  p1: number;
  p2: number;
  beta: number;
}

/**
 * Parameters of each channel as ACON-C parameters. Arrays of length 1 (layer-wise) are broadcast;
 * an empty p1 or p2 (ACON-A, f = x·σ(βx)) stands for p1 = 1, p2 = 0.
 */
export function channelParams(layer: ActivationLayerRecord): ChannelParams[] {
  const at = (a: readonly number[], c: number, empty: number) => (a.length === 0 ? empty : a.length === 1 ? a[0] : a[c]);
  const channels = Math.max(1, layer.p1.length, layer.p2.length, layer.beta.length);
  return Array.from({ length: channels }, (_, c) => ({ p1: at(layer.p1, c, 1), p2: at(layer.p2, c, 0), beta: at(layer.beta, c, 1) }));
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

function spread(xs: readonly number[]): Spread {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

export interface LayerSummary {
  layer: ActivationLayerRecord;
  channels: number;
  p1: Spread;
  p2: Spread;
  beta: Spread;
  /** `switchSharpness(p1, p2, β)` per channel: 0 linear ("not activate"), 1 max(p1x, p2x). */
  sharpness: number[];
  meanSharpness: number;
  /** Fraction of channels with sharpness < `LINEAR_SHARPNESS`. */
  linearFraction: number;
}

export function summarizeLayer(layer: ActivationLayerRecord): LayerSummary {
  const ps = channelParams(layer);
  const sharpness = ps.map((p) => switchSharpness(p.p1, p.p2, p.beta));
  return {
    layer,
    channels: ps.length,
    p1: spread(ps.map((p) => p.p1)),
    p2: spread(ps.map((p) => p.p2)),
    beta: spread(ps.map((p) => p.beta)),
    sharpness,
    meanSharpness: mean(sharpness),
    linearFraction: sharpness.filter((s) => s < LINEAR_SHARPNESS).length / sharpness.length,
  };
}

export interface Curve {
  f: number[];
  df: number[];
}

export interface LayerCurves {
  xs: readonly number[];
  /** Pointwise median over channels of f_c(x) and f_c'(x). */
  median: Curve;
  /** A few channels at evenly spaced ranks of sharpness, most linear first. */
  channels: (Curve & { channel: number; sharpness: number })[];
}

export function layerCurves(layer: ActivationLayerRecord, xs: readonly number[], sampleCount = 6): LayerCurves {
  const ps = channelParams(layer);
  const curves = ps.map((p) => ({
    f: xs.map((x) => aconC(x, p.p1, p.p2, p.beta)),
    df: xs.map((x) => aconCDerivative(x, p.p1, p.p2, p.beta)),
  }));
  const pointwise = (key: keyof Curve) => xs.map((_, i) => median(curves.map((c) => c[key][i])));
  const ranked = ps
    .map((p, c) => ({ channel: c, sharpness: switchSharpness(p.p1, p.p2, p.beta) }))
    .sort((a, b) => a.sharpness - b.sharpness || a.channel - b.channel);
  const k = Math.min(sampleCount, ranked.length);
  const picks = Array.from({ length: k }, (_, i) => ranked[k === 1 ? 0 : Math.round((i * (ranked.length - 1)) / (k - 1))]);
  return {
    xs,
    median: { f: pointwise('f'), df: pointwise('df') },
    channels: picks.map((p) => ({ ...p, ...curves[p.channel] })),
  };
}
