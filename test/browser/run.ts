/**
 * `npm run test:browser`: builds the test page (Vite), serves it on 127.0.0.1 with the shared
 * golden vectors mounted from ../shared, and runs every backend's tests in Debian's Chromium
 * (one page per backend; wasm also in a cross-origin-isolated page, where tfjs picks its threaded
 * build). Prints one line per failure, per-backend counts, and `browser: N passed, N failed, N skipped`.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildPage, pageMounts, REPO_ROOT } from './build.js';
import { launchChromium, serveStatic } from './chromium.js';

interface PageRun {
  label: string;
  backend: string;
  crossOriginIsolated: boolean;
}

const RUNS: PageRun[] = [
  { label: 'cpu', backend: 'cpu', crossOriginIsolated: false },
  { label: 'wasm', backend: 'wasm', crossOriginIsolated: false },
  { label: 'wasm (cross-origin isolated, threaded)', backend: 'wasm', crossOriginIsolated: true },
  { label: 'webgl', backend: 'webgl', crossOriginIsolated: false },
  { label: 'webgpu', backend: 'webgpu', crossOriginIsolated: false },
];

interface TestResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  message?: string;
  ms: number;
}

const only = process.argv.slice(2);
const started = Date.now();
const pageDir = await buildPage(join(REPO_ROOT, 'test', 'browser', 'page'));
const servers = {
  plain: await serveStatic({ mounts: pageMounts(pageDir) }),
  isolated: await serveStatic({ mounts: pageMounts(pageDir), crossOriginIsolated: true }),
};
const browser = await launchChromium();
const totals = { passed: 0, failed: 0, skipped: 0 };
try {
  for (const run of RUNS.filter((r) => only.length === 0 || only.includes(r.backend))) {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const t0 = Date.now();
    await page.goto(`${(run.crossOriginIsolated ? servers.isolated : servers.plain).url}/index.html`);
    await page.waitForFunction(() => 'aconTests' in window);
    const out = (await page.evaluate(
      (b) => (window as unknown as { aconTests: { run(b: string): Promise<unknown> } }).aconTests.run(b),
      run.backend,
    )) as { skipped?: string; results: TestResult[]; info: string };
    await page.close();
    if (out.skipped) {
      console.log(`${run.label}: skipped: ${out.skipped}`);
      totals.skipped++;
      continue;
    }
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const r of out.results) {
      counts[r.status]++;
      if (r.status === 'failed') console.log(`FAIL ${r.name}\n  ${(r.message ?? '').split('\n').slice(0, 6).join('\n  ')}`);
      if (r.status === 'skipped') console.log(`skip ${r.name}: ${r.message}`);
    }
    for (const e of errors) {
      console.log(`FAIL ${run.label}: uncaught page error: ${e}`);
      counts.failed++;
    }
    const slowest = [...out.results].sort((a, b) => b.ms - a.ms)[0];
    console.log(
      `${run.label}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped in ${((Date.now() - t0) / 1000).toFixed(1)} s` +
        (out.info ? ` (${out.info})` : '') +
        (slowest ? `; slowest: ${slowest.name} ${(slowest.ms / 1000).toFixed(1)} s` : ''),
    );
    totals.passed += counts.passed;
    totals.failed += counts.failed;
    totals.skipped += counts.skipped;
  }
} finally {
  await browser.close();
  await Promise.all([servers.plain.close(), servers.isolated.close()]);
  rmSync(pageDir, { recursive: true, force: true });
}
console.log(`browser tests took ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`browser: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exitCode = totals.failed > 0 || totals.passed === 0 ? 1 : 0;
