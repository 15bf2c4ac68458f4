/** Viewing a tensor as [outer, run, inner] around one run of contiguous axes. */

/**
 * The sizes of the axes before, in and after `axes`, ignoring axes of size 1, or null when the
 * remaining axes in `axes` are not contiguous. `axes` may be empty (run = 1).
 */
export function axisRunLayout(shape: number[], axes: number[]): { outer: number; run: number; inner: number } | null {
  let outer = 1,
    run = 1,
    inner = 1,
    phase = 0; // 0: before the run, 1: in it, 2: after it
  for (let a = 0; a < shape.length; a++) {
    if (shape[a] === 1) continue;
    const inRun = axes.includes(a);
    if (inRun && phase === 2) return null;
    if (inRun) phase = 1;
    else if (phase === 1) phase = 2;
    if (inRun) run *= shape[a];
    else if (phase === 0) outer *= shape[a];
    else inner *= shape[a];
  }
  return { outer, run, inner };
}
