/**
 * `npm run bench`: runs every suite in `bench/*.bench.ts`, prints a table and writes the records
 * as JSON (to stdout after the table with `--json`, and always to `bench-results.json` or `--out FILE`).
 * `--quick` runs fewer iterations; `--only NAME` runs suites whose name contains NAME.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchRecord, BenchSuite } from './harness.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = flag('--quick');
const only = value('--only');
const out = value('--out') ?? 'bench-results.json';

const here = dirname(fileURLToPath(import.meta.url));
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
const records: BenchRecord[] = [];
// The machine may be shared: the load before and after goes into the JSON, next to the ratios.
const loadBefore = loadavg();
for (const file of files) {
  const suite = (await import(pathToFileURL(join(here, file)).href)).default as BenchSuite;
  if (only && !suite.name.includes(only)) continue;
  console.error(`bench: ${suite.name} ...`);
  records.push(...(await suite.run({ quick })));
}

const fmt = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : v === undefined ? '' : String(v));
const cols = ['suite', 'case', 'backend', 'impl', 'shape', 'ms', 'imagesPerSec', 'extra'] as const;
const rows = records.map((r) =>
  cols.map((c) => (c === 'shape' ? (r.shape ? `[${r.shape}]` : '') : c === 'extra' ? (r.extra ? JSON.stringify(r.extra) : '') : fmt(r[c]))),
);
const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
console.log(cols.map((c, i) => c.padEnd(widths[i])).join('  '));
for (const r of rows) console.log(r.map((v, i) => v.padEnd(widths[i])).join('  '));
const load = { before: loadBefore.map((v) => +v.toFixed(2)), after: loadavg().map((v) => +v.toFixed(2)) };
const json = JSON.stringify({ date: new Date().toISOString(), node: process.version, quick, loadavg: load, records }, null, 2);
writeFileSync(out, json + '\n');
if (flag('--json')) console.log(json);
console.error(`bench: wrote ${out} (load average before ${load.before.join(', ')}, after ${load.after.join(', ')})`);
