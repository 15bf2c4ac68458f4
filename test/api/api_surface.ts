/**
 * The public surface of each package entry: every exported name with its kind, namespaces
 * expanded. Values come from importing the entry (`function`, `class`, `object`, `namespace`, or
 * the primitive's type); type-only exports come from the TypeScript checker (`type`).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export type Surface = { [name: string]: string | Surface };

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The package's entries, by the name users import. */
export const ENTRIES: Record<string, string> = { acon: 'src/index.ts', 'acon/node': 'src/entry_node.ts' };

function isModuleNamespace(v: unknown): boolean {
  return Object.prototype.toString.call(v) === '[object Module]';
}

function valueKind(v: unknown): string | Surface {
  if (isModuleNamespace(v)) return valueSurface(v as Record<string, unknown>);
  if (typeof v === 'function') return /^class\b/.test(Function.prototype.toString.call(v)) ? 'class' : 'function';
  if (v !== null && typeof v === 'object') return 'object';
  return typeof v;
}

function valueSurface(mod: Record<string, unknown>): Surface {
  return Object.fromEntries(Object.keys(mod).map((k) => [k, valueKind(mod[k])]));
}

/** Adds the type-only exports of `symbol` (a module) into `into`, recursing into namespaces. */
function addTypes(checker: ts.TypeChecker, symbol: ts.Symbol, into: Surface): void {
  for (const exp of checker.getExportsOfModule(symbol)) {
    const target = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
    const name = exp.getName();
    const existing = into[name];
    if (typeof existing === 'object') addTypes(checker, target, existing);
    else if (existing === undefined && !(target.flags & ts.SymbolFlags.Value)) into[name] = 'type';
  }
}

function sorted(s: Surface): Surface {
  return Object.fromEntries(
    Object.keys(s)
      .sort()
      .map((k) => [k, typeof s[k] === 'object' ? sorted(s[k] as Surface) : s[k]]),
  );
}

/** The surface of every entry in `ENTRIES`. */
export async function apiSurface(): Promise<Record<string, Surface>> {
  const config = ts.parseJsonConfigFileContent(JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')), ts.sys, ROOT);
  const files = Object.values(ENTRIES).map((f) => join(ROOT, f));
  const program = ts.createProgram(files, { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const out: Record<string, Surface> = {};
  for (const [entry, file] of Object.entries(ENTRIES)) {
    const surface = valueSurface((await import(join(ROOT, file))) as Record<string, unknown>);
    const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(join(ROOT, file))!);
    if (!moduleSymbol) throw new Error(`${file}: the TypeScript checker found no module symbol`);
    addTypes(checker, moduleSymbol, surface);
    out[entry] = sorted(surface);
  }
  return out;
}
