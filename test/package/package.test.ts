/**
 * The package as installed: `npm pack` (which builds dist), the tarball installed into a fresh
 * project with `@tensorflow/tfjs@4.22` and `@tensorflow/tfjs-backend-wasm@4.22` from the registry,
 * then an ESM consumer trains, saves and loads a conv net with AconC and MetaAconC on wasm in Node,
 * and a browser consumer of `acon` is bundled with esbuild for the browser platform without any
 * Node built-in. Run by `npm run test:package` (~1 min: the build and the install take most of it).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { ROOT } from '../api/api_surface.js';

const run = promisify(execFile);
const CONSUMER = join(ROOT, 'test', 'package', 'consumer');
const TFJS = ['@tensorflow/tfjs@4.22', '@tensorflow/tfjs-backend-wasm@4.22'];

function* filesUnder(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* filesUnder(p);
    else yield p;
  }
}

const isBuiltin = (spec: string) => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]);

/**
 * Bundles `entry` for the browser; returns esbuild's errors and every Node built-in that a module
 * of the installed acon package imports (built-ins that tfjs maps away in its "browser" field are
 * its own business; one it does not map is an esbuild error).
 */
async function bundleForBrowser(project: string, entry: string) {
  const fromAcon: string[] = [];
  const result = await esbuild
    .build({
      absWorkingDir: project,
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [
        {
          name: 'node-builtins-of-acon',
          setup(build) {
            build.onResolve({ filter: /.*/ }, (args) => {
              if (isBuiltin(args.path) && args.importer.includes(join('node_modules', 'acon')))
                fromAcon.push(`${relative(project, args.importer)} imports '${args.path}'`);
              return undefined;
            });
          },
        },
      ],
    })
    .catch((e: esbuild.BuildFailure) => e);
  const errors = 'errors' in result && result.errors.length ? result.errors.map((e) => e.text) : [];
  const inputs = 'metafile' in result && result.metafile ? Object.keys(result.metafile.inputs) : [];
  return { errors, fromAcon, inputs };
}

describe('the packed tarball', { timeout: 300_000 }, () => {
  let project: string;
  let packed: { filename: string; files: { path: string }[] };

  before(async () => {
    project = mkdtempSync(join(tmpdir(), 'acon-package-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', project], { cwd: ROOT, maxBuffer: 1 << 26 });
    // `npm pack --json` prints the prepack build's output before the JSON.
    [packed] = JSON.parse(stdout.slice(stdout.indexOf('[\n'))) as (typeof packed)[];
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'acon-consumer', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(project, packed.filename), ...TFJS], {
      cwd: project,
      maxBuffer: 1 << 26,
    });
  });

  after(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('holds both entries with their types, every compiled kernel module, and only modules built from src', () => {
    const files = new Set(packed.files.map((f) => f.path));
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/entry_node.js', 'dist/entry_node.d.ts', 'dist/cli/main.js'])
      assert.ok(files.has(f), `${f} missing from ${packed.filename}`);
    for (const src of filesUnder(join(ROOT, 'src'))) {
      if (!src.endsWith('.as.ts')) continue;
      const built = join('dist', relative(join(ROOT, 'src'), dirname(src)), `${basename(src, '.as.ts')}.wasm.generated.js`);
      assert.ok(files.has(built), `${built} (compiled from ${relative(ROOT, src)}) missing from ${packed.filename}`);
    }
    const sources = new Set([...filesUnder(join(ROOT, 'src'))].map((f) => relative(join(ROOT, 'src'), f).replace(/\.ts$/, '')));
    const stale = [...files].filter((f) => f.startsWith('dist/') && f.endsWith('.js') && !sources.has(f.slice(5, -3)));
    assert.deepEqual(stale, [], 'modules in dist without a source in src');
  });

  it('trains a conv net with AconC and MetaAconC on wasm in Node (import acon/node is enough), saves and loads it', async () => {
    const script = join(project, 'train_save_load.mjs');
    copyFileSync(join(CONSUMER, 'train_save_load.mjs'), script);
    const { stdout } = await run(process.execPath, [script], { cwd: project });
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as {
      backend: string;
      losses: number[];
      identical: boolean;
      layers: string[];
      smoothMax: number;
    };
    assert.equal(out.backend, 'wasm');
    assert.ok(out.losses.at(-1)! < 0.5 * out.losses[0], `loss ${out.losses[0]} → ${out.losses.at(-1)}`);
    assert.equal(out.identical, true, 'outputs of the loaded model differ from the trained one');
    assert.deepEqual(out.layers, ['Conv2D', 'AconC', 'Conv2D', 'MetaAconC', 'GlobalAveragePooling2D', 'Dense']);
    assert.ok(Math.abs(out.smoothMax - 1.5752103826044415) < 1e-12);
  });

  it('bundles a browser consumer of acon with esbuild (platform browser) without any Node built-in', async () => {
    copyFileSync(join(CONSUMER, 'browser.mjs'), join(project, 'browser.mjs'));
    const { errors, fromAcon, inputs } = await bundleForBrowser(project, 'browser.mjs');
    assert.deepEqual(errors, []);
    assert.deepEqual(fromAcon, []);
    assert.ok(inputs.includes('node_modules/acon/dist/index.js'), 'the bundle does not contain acon');
    assert.ok(inputs.includes('node_modules/acon/dist/math/acon.js'), 'the bundle does not contain acon.math');
  });

  it('the same bundling of acon/node names its Node built-ins (the check is not blind)', async () => {
    writeFileSync(join(project, 'node_entry.mjs'), "import 'acon/node';\n");
    const { errors, fromAcon } = await bundleForBrowser(project, 'node_entry.mjs');
    assert.ok(
      errors.some((e) => /Could not resolve "node:fs"/.test(e)),
      errors.join('\n'),
    );
    assert.ok(
      fromAcon.some((f) => /node_modules\/acon\/dist\/node\/model_files\.js imports 'node:fs'/.test(f)),
      fromAcon.join('\n'),
    );
  });
});
