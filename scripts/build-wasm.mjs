// Compiles every AssemblyScript kernel source `src/**/NAME.as.ts` to WebAssembly (SIMD,
// imported memory, no data segments, so a kernel can run directly on another module's heap)
// and writes `NAME.wasm.generated.ts` beside it, exporting the bytes as base64 (`wasmBase64`,
// `wasmSharedBase64` for a shared memory, and for sources using `fma.as.lib.ts` the relaxed-SIMD
// pair `wasmRelaxedBase64`, `wasmRelaxedSharedBase64`). The compiles run in parallel, one process
// per core. Skips them when every generated file records the fingerprint of the current inputs
// (this script, the compiler's version, every `.as.ts` and `.as.lib.ts` source); `--force`
// compiles anyway.
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync, mkdtempSync, statSync } from 'node:fs';
import { join, dirname, basename, relative } from 'node:path';
import { availableParallelism, tmpdir } from 'node:os';
import { promisify } from 'node:util';
import v8 from 'node:v8';
import { createRequire } from 'node:module';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const asc = join(dirname(require.resolve('assemblyscript/package.json')), 'bin', 'asc.js');

function* walk(dir, suffix) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p, suffix);
    else if (name.endsWith(suffix)) yield p;
  }
}

// Node 20's V8 (11.3) validates relaxed-SIMD modules only behind this flag (on by default from 11.4).
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

/** Ids of the top-level sections of a wasm binary (11 = data). */
function sectionIds(bytes) {
  const ids = [];
  let i = 8;
  while (i < bytes.length) {
    const id = bytes[i++];
    let size = 0,
      shift = 0,
      b;
    do {
      b = bytes[i++];
      size |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    ids.push(id);
    i += size;
  }
  return ids;
}

const sources = [...walk(join(root, 'src'), '.as.ts')].sort();
/** Sources that kernels import (`NAME.as.lib.ts`), compiled into each importer. */
const libraries = [...walk(join(root, 'src'), '.as.lib.ts')].sort();
const targetOf = (src) => join(dirname(src), `${basename(src, '.as.ts')}.wasm.generated.ts`);
const hash = createHash('sha256');
hash.update(readFileSync(new URL(import.meta.url)));
hash.update(readFileSync(join(dirname(asc), '..', 'package.json')));
for (const src of [...sources, ...libraries]) hash.update(`\0${relative(root, src)}\0`).update(readFileSync(src));
const fingerprint = `// inputs sha256 ${hash.digest('hex')}\n`;
const upToDate = (src) => existsSync(targetOf(src)) && readFileSync(targetOf(src), 'utf8').split('\n', 2)[1] + '\n' === fingerprint;
if (!process.argv.includes('--force') && sources.length > 0 && sources.every(upToDate)) {
  console.log(`build-wasm: ${sources.length} kernels up to date`);
  process.exit(0);
}

const tmp = mkdtempSync(join(tmpdir(), 'acon-asc-'));
const run = promisify(execFile);

/**
 * The builds of one source: one importing an ordinary memory, one importing a shared memory (up to
 * 4 GiB, as tfjs's threaded wasm build has when the page is cross-origin isolated); and for a
 * source that uses the multiply-adds of `src/wasm/fma.as.lib.ts`, the same two with relaxed SIMD
 * (fused multiply-adds), which `src/wasm/kernel_module.ts` takes where the engine has it.
 */
function variantsOf(src) {
  const shared = ['--sharedMemory', '--maximumMemory', '65536', '--enable', 'threads'];
  const relaxed = ['--enable', 'relaxed-simd'];
  const variants = { wasmBase64: [], wasmSharedBase64: shared };
  if (readFileSync(src, 'utf8').includes('fma.as.lib'))
    Object.assign(variants, { wasmRelaxedBase64: relaxed, wasmRelaxedSharedBase64: [...shared, ...relaxed] });
  return Object.entries(variants);
}

const LABELS = {
  wasmBase64: 'private',
  wasmSharedBase64: 'shared',
  wasmRelaxedBase64: 'relaxed',
  wasmRelaxedSharedBase64: 'relaxed shared',
};

async function compile(src, exportName, extraFlags) {
  const out = join(tmp, `${basename(src, '.as.ts')}.${exportName}.wasm`);
  const flags = ['-O3', '--enable', 'simd', '--runtime', 'stub', '--importMemory', '--initialMemory', '0', ...extraFlags];
  await run(process.execPath, [asc, src, ...flags, '--noAssert', '--use', 'abort=', '-o', out]);
  const bytes = readFileSync(out);
  const mod = new WebAssembly.Module(bytes);
  const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`);
  if (imports.join() !== 'env.memory') throw new Error(`${src}: kernel must import only env.memory, got ${imports}`);
  if (sectionIds(bytes).includes(11)) throw new Error(`${src}: kernel has a data segment, which would overwrite the host heap`);
  return `export const ${exportName} = '${bytes.toString('base64')}';\n`;
}

/** Runs the jobs `width` at a time (each compile is a process of its own); results in order. */
async function inParallel(jobs, width) {
  const results = new Array(jobs.length);
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, lane));
  return results;
}

const builds = sources.map((src) => ({ src, variants: variantsOf(src) }));
const jobs = builds.flatMap(({ src, variants }) =>
  variants.map(
    ([name, flags]) =>
      () =>
        compile(src, name, flags),
  ),
);
const outputs = await inParallel(jobs, availableParallelism());
let at = 0;
for (const { src, variants } of builds) {
  const exportsOut = outputs.slice(at, (at += variants.length));
  console.log(`build-wasm: ${basename(src)} (${variants.map(([name]) => LABELS[name]).join(', ')})`);
  // Atomically (a rename), so that a killed build never leaves a truncated file with the fingerprint.
  const target = targetOf(src);
  writeFileSync(
    `${target}.tmp`,
    `// Generated by scripts/build-wasm.mjs from ${basename(src)}; do not edit.\n` + fingerprint + exportsOut.join(''),
  );
  renameSync(`${target}.tmp`, target);
}
if (builds.length === 0) console.log('build-wasm: no kernel sources found');
