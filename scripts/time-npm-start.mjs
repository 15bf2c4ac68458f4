// Times `npm start` in an old commit and in this tree, side by side: the runs alternate (old, new,
// old, new, …) on the same machine, and for each one it prints the wall time, the time spent in
// training steps (Σ of every epoch's `seconds` in results.json: the step loop of the epoch) and the
// share outside them, with a breakdown taken from the times at which the progress lines arrived:
//
//   build:wasm     from the start to the last `build-wasm:` line
//   start          from there to the first training step (node, imports, backend, data, model, workers)
//   eval           per epoch, from its last step's progress line to its epoch line (evaluation)
//   checkpoints    from an epoch line to the next epoch's first step (the checkpoint, the data order)
//   between runs   from a run's last epoch line to the next run's first step (checkpoint, probe, model
//                  save, results.json, the next trainer and its workers)
//   end            from the last epoch line to the exit (probe, model save, report, table)
//
// Usage: node scripts/time-npm-start.mjs [--old ddb4698] [--rounds 2] [--json out.json] [--only old|new]
// The old commit is exported (`git archive`) to a temporary directory with this tree's node_modules
// linked; each run writes to its own temporary `--out` (`npm start -- --out DIR`; the last flag wins).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const oldCommit = flag('old', 'ddb4698');
const rounds = Number(flag('rounds', '2'));
const only = flag('only', undefined);
const jsonPath = flag('json', undefined);

/** A checkout of `commit` with this tree's node_modules, in a temporary directory (reused if there). */
function checkout(commit) {
  const full = execFileSync('git', ['rev-parse', commit], { cwd: root, encoding: 'utf8' }).trim();
  const dir = join(tmpdir(), `acon-start-${full.slice(0, 12)}`);
  if (!existsSync(join(dir, 'package.json'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${full} | tar -x -C ${JSON.stringify(dir)}`], { cwd: root });
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  }
  return dir;
}

/** Runs `npm start` in `dir`; resolves to the arrival time (ms since the start) of every stderr/stdout line. */
function runNpmStart(dir, out) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('npm', ['start', '--', '--out', out], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = [];
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        const t = performance.now() - t0;
        const parts = (rest + chunk).split('\n');
        rest = parts.pop();
        for (const text of parts) lines.push({ t, text });
      });
    }
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = (performance.now() - t0) / 1000;
      if (code !== 0) reject(new Error(`npm start in ${dir} exited with ${code}:\n${lines.map((l) => l.text).join('\n')}`));
      else resolve({ wall, lines });
    });
  });
}

/** The breakdown of one run (seconds), from its lines and its results.json. */
function breakdown({ wall, lines }, results) {
  const at = (re) => lines.filter((l) => re.test(l.text)).map((l) => l.t / 1000);
  const lastBuild = Math.max(0, ...at(/^build-wasm:/));
  const steps = results.runs.reduce((s, r) => s + r.epochs.reduce((a, e) => a + e.seconds, 0), 0);
  const phases = { 'build:wasm': lastBuild, start: 0, eval: 0, checkpoints: 0, 'between runs': 0, end: 0 };
  const perRun = [];
  let previousEnd;
  for (const run of results.runs) {
    const label = `[${run.activation} seed ${run.seed}]`;
    const E = run.epochs.length;
    const lastSteps = lines
      .filter((l) => l.text.startsWith(label) && /epoch (\d+)\/\d+ step (\d+)\/\2\b/.test(l.text))
      .map((l) => l.t / 1000);
    const epochLines = lines.filter((l) => l.text.startsWith(label) && /epoch \d+\/\d+: train loss/.test(l.text)).map((l) => l.t / 1000);
    if (lastSteps.length !== E || epochLines.length !== E) throw new Error(`${label}: expected ${E} step and epoch lines`);
    const firstStep = lastSteps[0] - run.epochs[0].seconds;
    if (previousEnd === undefined) phases.start = firstStep - lastBuild;
    else phases['between runs'] += firstStep - previousEnd;
    const evalSeconds = epochLines.reduce((s, t, e) => s + t - lastSteps[e], 0);
    const gaps = run.epochs.slice(1).reduce((s, ep, e) => s + lastSteps[e + 1] - ep.seconds - epochLines[e], 0);
    phases.eval += evalSeconds;
    phases.checkpoints += gaps;
    perRun.push({
      activation: run.activation,
      steps: run.epochs.reduce((a, ep) => a + ep.seconds, 0),
      eval: evalSeconds,
      imagesPerSec: run.imagesPerSec,
    });
    previousEnd = epochLines[E - 1];
  }
  phases.end = wall - previousEnd;
  return { wall, steps, outside: wall - steps, outsideShare: (wall - steps) / wall, phases, perRun };
}

const s = (x) => `${x.toFixed(1)} s`;
const trees = [
  { name: 'old', commit: oldCommit, dir: checkout(oldCommit) },
  {
    name: 'new',
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim() + ' (this tree)',
    dir: root,
  },
].filter((t) => !only || t.name === only);
const scratch = mkdtempSync(join(tmpdir(), 'acon-start-runs-'));
const measured = [];
for (let round = 1; round <= rounds; round++) {
  for (const tree of trees) {
    const out = join(scratch, `${tree.name}-${round}`);
    const load = loadavg()[0];
    const run = await runNpmStart(tree.dir, out);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const b = breakdown(run, results);
    const errors = Object.fromEntries(results.runs.map((r) => [r.activation, r.finalTestError]));
    // Every number that training computes, to compare the trees bit for bit.
    const numbers = results.runs.map((r) => ({
      activation: r.activation,
      params: r.params,
      flops: r.flops,
      epochs: r.epochs.map(({ trainLoss, trainError, testLoss, testError }) => ({ trainLoss, trainError, testLoss, testError })),
      layers: r.layers,
    }));
    measured.push({ round, tree: tree.name, commit: tree.commit, loadBefore: load, loadAfter: loadavg()[0], ...b, numbers });
    console.log(
      `round ${round} ${tree.name} (${tree.commit}, load ${load.toFixed(2)}): wall ${s(b.wall)}, training steps ${s(b.steps)}, ` +
        `outside ${s(b.outside)} (${(100 * b.outsideShare).toFixed(1)}%): ` +
        Object.entries(b.phases)
          .map(([k, v]) => `${k} ${s(v)}`)
          .join(', '),
    );
    console.log(
      `  per activation: ${b.perRun.map((r) => `${r.activation} steps ${s(r.steps)} eval ${s(r.eval)} ${Math.round(r.imagesPerSec)} img/s`).join('; ')}`,
    );
    console.log(
      `  test errors: ${Object.entries(errors)
        .map(([a, e]) => `${a} ${(100 * e).toFixed(2)}`)
        .join(', ')}`,
    );
    rmSync(out, { recursive: true, force: true });
  }
}
rmSync(scratch, { recursive: true, force: true });
if (trees.length === 2) {
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const walls = (name) => measured.filter((m) => m.tree === name).map((m) => m.wall);
  const ratios = measured
    .filter((m) => m.tree === 'new')
    .map((m) => measured.find((o) => o.tree === 'old' && o.round === m.round).wall / m.wall);
  // Per activation: is every number (losses, errors, params, MACs, learned ACON parameters) the same in every run?
  for (const { activation } of measured[0].numbers) {
    const of = (m) => JSON.stringify(m.numbers.find((n) => n.activation === activation));
    const differing = measured.filter((m) => of(m) !== of(measured[0])).map((m) => `round ${m.round} ${m.tree}`);
    console.log(
      `${activation}: ${differing.length ? `numbers differ from round 1 ${measured[0].tree} in ${differing.join(', ')}` : 'identical numbers in every run'}`,
    );
  }
  console.log(
    `old / new wall time per round: ${ratios.map((r) => r.toFixed(2)).join(', ')} (median walls: old ${s(median(walls('old')))}, new ${s(median(walls('new')))})`,
  );
}
if (jsonPath) writeFileSync(jsonPath, JSON.stringify(measured, null, 1));
