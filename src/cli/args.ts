/**
 * A small, dependency-free parser for `--flag value`, `--flag=value` and boolean `--flag` options,
 * driven by a table of flag specs that also renders `--help`. Errors name the flag.
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
    case 'int': {
      const n = Number(value);
      if (!Number.isInteger(n)) throw bad('must be an integer');
      return n;
    }
    case 'number': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw bad('must be a number');
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
