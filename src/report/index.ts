/** The HTML report of `acon compare`: from results.json to one self-contained HTML file. */
import { readFile } from 'node:fs/promises';
import { parseResults } from '../results/schema.js';
import { writeFileAtomic } from '../util/atomic_file.js';
import { renderReport, type ReportOptions } from './html.js';

export { renderReport, type ReportOptions };

/** Reads `resultsPath` (checked by `parseResults`) and writes the report to `outPath` atomically (`writeFileAtomic`, with fsync). */
export async function writeReport(resultsPath: string, outPath: string, opts: ReportOptions = {}): Promise<void> {
  writeFileAtomic(outPath, renderReport(parseResults(await readFile(resultsPath, 'utf8')), opts));
}
