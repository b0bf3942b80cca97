import type { Verdict } from '../runs/run-gates.js';

/**
 * A reviewing model's verdict, from the "VERDICT: PASS" or "VERDICT: FAIL" line it was asked to
 * end with (the last one counts; markdown emphasis and case tolerated). Null when it wrote none.
 */
export function verdictOf(summary: string): Verdict | null {
  const said = [...summary.matchAll(/verdict\W{0,4}(pass|fail)/gi)].at(-1);
  if (!said) return null;
  return said[1]!.toLowerCase() === 'fail' ? 'fail' : 'pass';
}
