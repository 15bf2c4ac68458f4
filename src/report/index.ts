/** The HTML report of `acon compare`: from results.json to one self-contained HTML file. */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseResults } from '../train/results.js';
import { renderReport, type ReportOptions } from './html.js';

export { renderReport, type ReportOptions };

/**
 * Reads `resultsPath` (checked by `parseResults`) and writes the report to `outPath` atomically:
 * a temporary file in the same directory, then a rename, so readers never see a partial file.
 */
export async function writeReport(resultsPath: string, outPath: string, opts: ReportOptions = {}): Promise<void> {
  const html = renderReport(parseResults(await readFile(resultsPath, 'utf8')), opts);
  const dir = dirname(outPath);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(outPath)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(tmp, html, 'utf8');
    await rename(tmp, outPath);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
