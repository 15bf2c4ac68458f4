/**
 * Writes a synthetic `results.json` (the report tests' fixture: 4 activations × 3 seeds, made-up
 * numbers) and its HTML report, to look at the report without training:
 *
 *   node --import tsx scripts/sample-results.ts [outDir]   # default: ./sample-report
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeReport } from '../src/report/index.js';
import { makeResults } from '../test/report/fixture.js';

const dir = process.argv[2] ?? 'sample-report';
await mkdir(dir, { recursive: true });
await writeFile(join(dir, 'results.json'), `${JSON.stringify(makeResults(), null, 2)}\n`);
await writeReport(join(dir, 'results.json'), join(dir, 'report.html'));
console.log(`wrote ${join(dir, 'results.json')} and ${join(dir, 'report.html')}`);
