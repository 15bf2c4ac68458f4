/**
 * `acon inspect FILE`: the tensors of a checkpoint (name, shape, dtype) and its ACON layers (p1, p2,
 * β per module) with the report's per-layer "activate or not" summary (`summarizeLayer`).
 */
import { initNodeBackend, NODE_BACKENDS } from '../node/backend.js';
import { LINEAR_SHARPNESS, summarizeLayer, type LayerSummary, type Spread } from '../report/activation_layers.js';
import { grouped, sig3 } from '../report/format.js';
import { aconLayersOf } from '../interop/acon_layers.js';
import { parseFlags, renderHelp, UsageError, type FlagSpec } from './args.js';
import { disposeCheckpoint, readCheckpoint, splitPositionals, type CheckpointTensor } from './checkpoint_input.js';

export { aconLayersOf };

const flags: FlagSpec[] = [
  { name: 'strip-prefix', kind: 'string', value: 'P', help: "remove this prefix from tensor names (DataParallel's 'module.')" },
  { name: 'acon-only', kind: 'bool', help: 'only the ACON layers, not the list of tensors' },
  { name: 'json', kind: 'bool', help: 'print JSON (tensors and ACON layers) instead of tables' },
  { name: 'backend', kind: 'string', value: 'NAME', choices: NODE_BACKENDS, default: 'cpu', help: 'TensorFlow.js backend' },
  { name: 'help', kind: 'bool', help: 'show this help' },
];

const USAGE = 'usage: acon inspect FILE [flags]';
const DESCRIPTION =
  'Lists the tensors of a PyTorch .pth, a .safetensors file or a tfjs model directory (name, shape, dtype), and the ACON layers it holds ' +
  '(p1, p2, β of each module) with each layer\'s learned "activate or not": the sharpness |σ(z) − σ(−z)|, z = 3β(p1 − p2), per channel ' +
  `(0 linear, 1 max(p1x, p2x)); channels below ${LINEAR_SHARPNESS} count as linear. Meta-ACON's β is generated from each input, so only its p1, p2 are shown.`;

const spread = (s: Spread) => (Number.isFinite(s.median) ? `${sig3(s.median)} [${sig3(s.min)}, ${sig3(s.max)}]` : '—');

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderInspection(
  file: string,
  format: string,
  tensors: CheckpointTensor[],
  summaries: LayerSummary[],
  aconOnly: boolean,
): string {
  const params = tensors.reduce((a, t) => a + (t.dtype.startsWith('F') || t.dtype === 'BF16' ? t.tensor.size : 0), 0);
  const lines = [`${file}: ${format}, ${tensors.length} tensors, ${grouped(params)} floating-point values`];
  if (!aconOnly) lines.push('', table([['name', 'shape', 'dtype'], ...tensors.map((t) => [t.key, `[${t.shape.join(',')}]`, t.dtype])]));
  lines.push('');
  if (!summaries.length) lines.push('ACON layers: none (no module with p1/p2/β, p/β or β parameters)');
  else {
    lines.push(`ACON layers: ${summaries.length}`);
    lines.push(
      table([
        ['layer', 'kind', 'C', 'p1 median [min, max]', 'p2 median [min, max]', 'β median [min, max]', 'mean sharpness', 'linear channels'],
        ...summaries.map((s) => [
          s.layer.name || '(root)',
          s.layer.kind,
          String(s.channels),
          spread(s.p1),
          spread(s.p2),
          s.layer.kind === 'MetaAconC' ? 'G(x)' : spread(s.beta),
          s.layer.kind === 'MetaAconC' ? '—' : sig3(s.meanSharpness),
          s.layer.kind === 'MetaAconC' ? '—' : `${Math.round(s.linearFraction * s.channels)}/${s.channels}`,
        ]),
      ]),
    );
  }
  return lines.join('\n');
}

export async function inspectCommand(argv: string[]): Promise<number> {
  const { positionals, flags: rest } = splitPositionals(argv, flags);
  const f = parseFlags(rest, flags, 'inspect');
  if (f.help) {
    console.log(renderHelp(USAGE, DESCRIPTION, flags));
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(`acon inspect: expects one FILE, got ${positionals.length ? positionals.join(' ') : 'none'} (${USAGE})`);
  const file = positionals[0];
  await initNodeBackend({ backend: f.backend as (typeof NODE_BACKENDS)[number], log: () => {} });
  const checkpoint = await readCheckpoint(file, { stripPrefix: f['strip-prefix'] as string | undefined });
  try {
    const byKey = Object.fromEntries(checkpoint.tensors.map((t) => [t.key, t.tensor]));
    const summaries = aconLayersOf(byKey).map(summarizeLayer);
    if (f.json) {
      const layers = summaries.map((s) => ({
        name: s.layer.name,
        kind: s.layer.kind,
        channels: s.channels,
        p1: s.layer.p1,
        p2: s.layer.p2,
        beta: s.layer.kind === 'MetaAconC' ? null : s.layer.beta,
        sharpness: s.layer.kind === 'MetaAconC' ? null : s.sharpness,
        meanSharpness: s.layer.kind === 'MetaAconC' ? null : s.meanSharpness,
        linearFraction: s.layer.kind === 'MetaAconC' ? null : s.linearFraction,
      }));
      console.log(
        JSON.stringify(
          {
            file,
            format: checkpoint.format,
            tensors: checkpoint.tensors.map(({ key, shape, dtype }) => ({ key, shape, dtype })),
            aconLayers: layers,
          },
          null,
          1,
        ),
      );
    } else console.log(renderInspection(file, checkpoint.format, checkpoint.tensors, summaries, f['acon-only'] === true));
  } finally {
    disposeCheckpoint(checkpoint);
  }
  return 0;
}
