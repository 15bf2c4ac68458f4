/**
 * `acon explore`: builds the explorer (web/, with Vite, into dist-web/) and serves it on
 * 127.0.0.1, printing the URL. Needs a checkout of the repository (web/ and the dev dependency
 * vite are not part of the published package).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseFlags, renderHelp, type FlagSpec } from './args.js';

export const exploreFlags: FlagSpec[] = [
  { name: 'port', kind: 'int', value: 'N', default: 5180, help: 'port on 127.0.0.1 (the next free one if taken; 0 = any)' },
  { name: 'no-build', kind: 'bool', help: 'serve the last build in dist-web/ without rebuilding' },
  { name: 'help', kind: 'bool', help: 'show this help' },
];

const CONFIG = fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url));

/** Starts the server and resolves once it listens; the process then runs until interrupted. */
export async function explore(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, exploreFlags, 'explore');
  if (flags.help) {
    console.log(
      renderHelp(
        'usage: acon explore [flags]',
        'Builds the ACON explorer (web/) and serves it on 127.0.0.1: the family of activations, learned layers from results.json or a saved model, and training in the browser.',
        exploreFlags,
      ),
    );
    return 0;
  }
  if (!existsSync(CONFIG)) throw new Error(`acon explore: ${CONFIG} not found; the explorer runs from a checkout of the repository`);
  const vite = await import('vite');
  if (!flags['no-build']) {
    console.log('building the explorer…');
    await vite.build({ configFile: CONFIG, logLevel: 'warn' });
  }
  const port = flags.port as number;
  const server = await vite.preview({
    configFile: CONFIG,
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port, strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/`;
  console.log(`ACON explorer: ${url}  (Ctrl-C to stop)`);
  return 0;
}
