/**
 * Elementwise closeness checks for the tests, free of `node:` imports so the browser tests use
 * the same code (failures throw an `Error` naming the worst element).
 */

/** Throws `message` unless `condition` holds. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Throws unless two shapes are equal, naming `what`. */
export function checkShape(actual: readonly number[], expected: readonly number[], what: string): void {
  check(
    actual.length === expected.length && actual.every((d, i) => d === expected[i]),
    `${what}: shape [${actual}], expected [${expected}]`,
  );
}

/**
 * Elementwise |a − e| ≤ atol + rtol·|e|, with atol given absolutely or as a fraction of max|e|.
 * Fails on any NaN/Inf mismatch and names the worst element.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  opts: { rtol?: number; atol?: number; atolRel?: number } = {},
): void {
  check(actual.length === expected.length, `${what}: length ${actual.length} vs expected ${expected.length}`);
  const rtol = opts.rtol ?? 1e-5;
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++) if (Number.isFinite(expected[i])) maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
  const atol = (opts.atol ?? 0) + (opts.atolRel ?? 1e-5) * maxAbs;
  let worst = -1,
    worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i],
      e = expected[i];
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      check(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)), `${what}[${i}]: got ${a}, expected ${e}`);
      continue;
    }
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst >= 0)
    throw new Error(
      `${what}[${worst}]: got ${actual[worst]}, expected ${expected[worst]} (|diff| ${Math.abs(actual[worst] - expected[worst])}, rtol ${rtol}, atol ${atol})`,
    );
}

/** Throws unless `actual` and `expected` hold the same values bit for bit (Object.is), naming the first difference. */
export function assertBitsEqual(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  check(actual.length === expected.length, `${what}: length ${actual.length} vs expected ${expected.length}`);
  let i = 0;
  while (i < expected.length && Object.is(actual[i], expected[i])) i++;
  const show = (v: number) => (Object.is(v, -0) ? '-0' : String(v));
  check(i === expected.length, `${what}: element ${i} is ${show(actual[i])}, expected ${show(expected[i])} bit for bit`);
}
