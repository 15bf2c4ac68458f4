/**
 * The command-line flag parser every `acon` command uses: `--flag value`, `--flag=value`, and
 * boolean `--flag` / `--flag=true` / `--flag=false`, driven by a table of flag specs that also
 * renders `--help`. It alone decides every flag: commands read the returned values, never `argv`.
 *
 * API (stable; commands in src/cli/<command>.ts use it as is):
 * - `FlagSpec`: `{ name, kind, help, default?, value?, choices?, min?, max?, above?, below? }`;
 *   `kind` is `'string' | 'int' | 'number' | 'bool' | 'list'` (list: comma-separated strings).
 *   Bounds apply to int and number flags: `min`/`max` inclusive, `above`/`below` exclusive.
 * - `parseFlags(argv, specs, command)` → `ParsedFlags` (flag name → value, or its default; a bool
 *   flag not given is its default, `undefined` unless set). Throws `UsageError` naming the flag.
 * - `renderHelp(usage, description, specs)` → the `--help` text.
 * - `UsageError`: the message is ready to print (it starts with `acon <command>:`); exit code 2.
 */
export type FlagKind = 'string' | 'int' | 'number' | 'bool' | 'list';

export interface FlagSpec {
  name: string;
  kind: FlagKind;
  help: string;
  default?: string | number | boolean | string[];
  /** Placeholder shown in help, e.g. `DIR`. */
  value?: string;
  choices?: readonly string[];
  /** Inclusive lower bound (int, number). */
  min?: number;
  /** Inclusive upper bound (int, number). */
  max?: number;
  /** Exclusive lower bound (int, number). */
  above?: number;
  /** Exclusive upper bound (int, number). */
  below?: number;
}

export type ParsedFlags = Record<string, string | number | boolean | string[] | undefined>;

export class UsageError extends Error {}

export function parseFlags(argv: string[], specs: FlagSpec[], command: string): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: ParsedFlags = Object.fromEntries(specs.map((s) => [s.name, s.default]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--'))
      throw new UsageError(`acon ${command}: unexpected argument '${arg}' (flags start with --; see acon ${command} --help)`);
    const [rawName, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const spec = byName.get(rawName);
    if (!spec) throw new UsageError(`acon ${command}: unknown flag --${rawName} (see acon ${command} --help)`);
    if (spec.kind === 'bool') {
      if (inline !== undefined && !['true', 'false'].includes(inline))
        throw new UsageError(`acon ${command}: --${spec.name} takes no value or true/false, got '${inline}'`);
      out[spec.name] = inline !== 'false';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--')))
      throw new UsageError(`acon ${command}: --${spec.name} needs a value${spec.value ? ` (${spec.value})` : ''}`);
    out[spec.name] = convert(command, spec, value);
  }
  return out;
}

function convert(command: string, spec: FlagSpec, value: string): string | number | string[] {
  const bad = (what: string) => new UsageError(`acon ${command}: --${spec.name} ${what}, got '${value}'`);
  switch (spec.kind) {
    case 'int':
    case 'number': {
      // Number('') and Number(' ') are 0: a blank value is not a number.
      const n = value.trim() === '' ? NaN : Number(value);
      if (spec.kind === 'int' ? !Number.isInteger(n) : !Number.isFinite(n))
        throw bad(spec.kind === 'int' ? 'must be an integer' : 'must be a number');
      const range = describeRange(spec);
      if (
        (spec.min !== undefined && n < spec.min) ||
        (spec.max !== undefined && n > spec.max) ||
        (spec.above !== undefined && !(n > spec.above)) ||
        (spec.below !== undefined && !(n < spec.below))
      )
        throw bad(`must be ${range}`);
      return n;
    }
    case 'list': {
      const items = value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (!items.length) throw bad('must be a comma-separated list');
      return items;
    }
    default:
      if (spec.choices && !spec.choices.includes(value)) throw bad(`must be one of ${spec.choices.join(', ')}`);
      return value;
  }
}

/** The bounds of a numeric flag in words: "≥ 1", "> 0", "in [0, 1)". */
function describeRange(spec: FlagSpec): string {
  const lo = spec.min !== undefined ? { v: spec.min, open: false } : spec.above !== undefined ? { v: spec.above, open: true } : undefined;
  const hi = spec.max !== undefined ? { v: spec.max, open: false } : spec.below !== undefined ? { v: spec.below, open: true } : undefined;
  if (lo && hi) return `in ${lo.open ? '(' : '['}${lo.v}, ${hi.v}${hi.open ? ')' : ']'}`;
  if (lo) return `${lo.open ? '>' : '≥'} ${lo.v}`;
  if (hi) return `${hi.open ? '<' : '≤'} ${hi.v}`;
  return 'a number';
}

export function renderHelp(usage: string, description: string, specs: FlagSpec[]): string {
  const left = specs.map((s) => `  --${s.name}${s.kind === 'bool' ? '' : ` ${s.value ?? s.kind.toUpperCase()}`}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  const lines = specs.map((s, i) => {
    const dflt =
      s.default === undefined || s.default === false ? '' : ` (default: ${Array.isArray(s.default) ? s.default.join(',') : s.default})`;
    const choices = s.choices ? ` [${s.choices.join('|')}]` : '';
    return `${left[i].padEnd(width)}${s.help}${choices}${dflt}`;
  });
  return `${usage}\n\n${description}\n\nFlags:\n${lines.join('\n')}\n`;
}
