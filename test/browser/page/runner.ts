/** A minimal test runner for the page: named async tests, each passed, failed (with its error) or skipped (with its reason). */
export interface TestResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  message?: string;
  ms: number;
}

export interface TestCase {
  name: string;
  run?: () => unknown | Promise<unknown>;
  skip?: string;
}

export async function runTests(prefix: string, tests: TestCase[]): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const t of tests) {
    const name = `${prefix}: ${t.name}`;
    const start = performance.now();
    if (t.skip || !t.run) {
      results.push({ name, status: 'skipped', message: t.skip ?? 'no test body', ms: 0 });
      continue;
    }
    try {
      await t.run();
      results.push({ name, status: 'passed', ms: performance.now() - start });
    } catch (e) {
      const err = e as Error;
      results.push({ name, status: 'failed', message: `${err.message}\n${err.stack ?? ''}`, ms: performance.now() - start });
    }
  }
  return results;
}
