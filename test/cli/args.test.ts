/** The flag parser and the command line's checks that need no training. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFlags, UsageError, type FlagSpec } from '../../src/cli/args.js';
import { errorLine, main, resumeCommand, saneWorkers, shellQuote } from '../../src/cli/main.js';

const specs: FlagSpec[] = [
  { name: 'json', kind: 'bool', help: '' },
  { name: 'epochs', kind: 'int', default: 10, min: 1, help: '' },
  { name: 'momentum', kind: 'number', default: 0.9, min: 0, below: 1, help: '' },
  { name: 'lr', kind: 'number', default: 0.1, above: 0, help: '' },
];

describe('flag parser', () => {
  it('--json, --json=true and --json=false', () => {
    assert.equal(parseFlags(['--json'], specs, 't').json, true);
    assert.equal(parseFlags(['--json=true'], specs, 't').json, true);
    assert.equal(parseFlags(['--json=false'], specs, 't').json, false);
    assert.equal(parseFlags([], specs, 't').json, undefined);
    assert.throws(() => parseFlags(['--json=yes'], specs, 't'), /--json takes no value or true\/false, got 'yes'/);
  });

  it('a blank number is not 0', () => {
    assert.throws(() => parseFlags(['--epochs', ' '], specs, 'train'), /acon train: --epochs must be an integer, got ' '/);
    assert.throws(() => parseFlags(['--lr='], specs, 'train'), /--lr must be a number, got ''/);
  });

  it('bounds: inclusive, exclusive, and both', () => {
    assert.throws(() => parseFlags(['--momentum', '-5'], specs, 'train'), /--momentum must be in \[0, 1\), got '-5'/);
    assert.throws(() => parseFlags(['--momentum', '1'], specs, 'train'), /--momentum must be in \[0, 1\), got '1'/);
    assert.equal(parseFlags(['--momentum', '0'], specs, 'train').momentum, 0);
    assert.throws(() => parseFlags(['--lr', '0'], specs, 'train'), /--lr must be > 0, got '0'/);
    assert.throws(() => parseFlags(['--epochs=0'], specs, 'train'), /--epochs must be ≥ 1, got '0'/);
  });
});

describe('acon command line', () => {
  const usage = async (argv: string[], re: RegExp) => {
    await assert.rejects(main(argv), (e: Error) => {
      assert.ok(e instanceof UsageError, `${e.message} is a usage error`);
      assert.match(e.message, re);
      assert.doesNotMatch(errorLine(e), /acon: acon/);
      return true;
    });
  };

  it('rejects out-of-range values of every numeric training flag, naming the flag', async () => {
    await usage(['compare', '--momentum', '-5'], /acon compare: --momentum must be in \[0, 1\), got '-5'/);
    await usage(['train', '--weight-decay', '-1'], /acon train: --weight-decay must be ≥ 0, got '-1'/);
    await usage(['train', '--epochs', ' '], /--epochs must be an integer, got ' '/);
    await usage(['train', '--label-smoothing', '1'], /--label-smoothing must be in \[0, 1\)/);
    await usage(['train', '--batch-size', '1'], /--batch-size must be ≥ 2/);
    await usage(['compare', '--seeds', '0'], /--seeds must be ≥ 1/);
    await usage(['train', '--repeats', '1,x,1'], /--repeats must be positive integers, got 'x'/);
  });

  it('a bad ACON_BACKEND is a usage error with one prefix', async () => {
    const saved = process.env.ACON_BACKEND;
    process.env.ACON_BACKEND = 'bogus';
    try {
      await usage(['train'], /^acon train: ACON_BACKEND must be one of .*, got 'bogus'$/);
    } finally {
      if (saved === undefined) delete process.env.ACON_BACKEND;
      else process.env.ACON_BACKEND = saved;
    }
  });

  it('error lines carry one acon: prefix', () => {
    assert.equal(errorLine(new Error('acon: labelSmoothing must be in [0, 1), got 2')), 'acon: labelSmoothing must be in [0, 1), got 2');
    assert.equal(errorLine(new Error('disk full')), 'acon: disk full');
  });

  it('--workers: a warning above the core count, capped at 2 per core', () => {
    const warnings: string[] = [];
    assert.equal(
      saneWorkers(99, 2, (m) => warnings.push(m)),
      4,
    );
    assert.match(warnings[0], /--workers 99 is more than 2 per core on this 2-core machine; using 4/);
    assert.equal(
      saneWorkers(3, 2, (m) => warnings.push(m)),
      3,
    );
    assert.match(warnings[1], /--workers 3 is more than the 2 cores/);
    assert.equal(
      saneWorkers(2, 2, (m) => warnings.push(m)),
      2,
    );
    assert.equal(warnings.length, 2);
  });

  it('the resume command repeats the flags with --resume and without --overwrite, quoted for a shell', () => {
    assert.equal(
      resumeCommand(['compare', '--out', 'my runs', '--overwrite', '--epochs=3'], '/usr/lib/node_modules/acon/dist/cli/main.js'),
      `acon compare --out 'my runs' --epochs=3 --resume`,
    );
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });
});
