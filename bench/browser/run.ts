/**
 * `npm run bench:browser`: the fused AconC kernels vs the composition of the same formula on
 * `webgl` and `webgpu` in Debian's Chromium, forward and forward+backward, at [64,28,28,32] and
 * [256,14,14,64]. Writes JSON (default runs/bench-browser.json; `--out FILE`; `--rounds N`,
 * `--backends webgl,webgpu`) and prints a table.
 * Without a GPU, Chromium renders with SwiftShader, a software GPU on the CPU: its ratios say how
 * much work the fusion saves, not how a real GPU would run.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { buildPage, pageMounts, REPO_ROOT } from '../../test/browser/build.js';
import { launchChromium, serveStatic } from '../../test/browser/chromium.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const out = resolve(flag('--out') ?? join(REPO_ROOT, 'runs', 'bench-browser.json'));
const rounds = Number(flag('--rounds') ?? 5);
const backends = (flag('--backends') ?? 'webgl,webgpu').split(',');
const SHAPES = [
  [64, 28, 28, 32],
  [256, 14, 14, 64],
];

const pageDir = await buildPage(join(REPO_ROOT, 'bench', 'browser', 'page'));
const server = await serveStatic({ mounts: pageMounts(pageDir) });
const browser = await launchChromium();
const report: { date: string; chromium: string; note: string; backends: unknown[] } = {
  date: new Date().toISOString(),
  chromium: browser.version(),
  note: 'Median wall time per call (ms) until the outputs are ready; speedup = composed / fused per round, median over rounds. Without a GPU the adapter is SwiftShader, a software GPU running on the CPU.',
  backends: [],
};
try {
  for (const backend of backends) {
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (process.env.BENCH_DEBUG) console.log('page:', m.text().slice(0, 3000));
    });
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => 'aconBench' in window);
    const res = (await page.evaluate(
      ([b, s, r]) =>
        (window as unknown as { aconBench: { run(b: string, s: number[][], r: number): Promise<unknown> } }).aconBench.run(b, s, r),
      [backend, SHAPES, rounds] as [string, number[][], number],
    )) as {
      backend: string;
      gpu?: string;
      skipped?: string;
      results?: { shape: number[]; pass: string; fusedMs: number; composedMs: number; speedup: number }[];
    };
    await page.close();
    report.backends.push(res);
    if (res.skipped) {
      console.log(`${backend}: skipped: ${res.skipped}`);
      continue;
    }
    console.log(`${backend} (${res.gpu}):`);
    for (const r of res.results!) {
      console.log(
        `  [${r.shape}] ${r.pass.padEnd(16)} fused ${r.fusedMs.toFixed(1).padStart(8)} ms  composed ${r.composedMs.toFixed(1).padStart(8)} ms  speedup ${r.speedup.toFixed(2)}×`,
      );
    }
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(pageDir, { recursive: true, force: true });
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(`${out}.tmp`, JSON.stringify(report, null, 2) + '\n');
renameSync(`${out}.tmp`, out);
console.log(`wrote ${out}`);
