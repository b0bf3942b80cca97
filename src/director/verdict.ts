import type { Verdict } from '../runs/run-gates.js';

/**
 * A reviewing model's verdict, from the "VERDICT: PASS" or "VERDICT: FAIL" line it was asked to
 * write (markdown emphasis and case tolerated). Only a line that starts with it counts, so the
 * explanation after it ("...the final verdict passes once...") cannot turn it round; a FAIL line
 * wins over a PASS line. Null when it wrote none.
 */
export function verdictOf(summary: string): Verdict | null {
  const said = [...summary.matchAll(/^[\s*_#>`"'-]{0,6}verdict\W{0,4}(pass|fail)(?:ed|es|s)?\b/gim)].map((match) => match[1]!.toLowerCase());
  if (said.includes('fail')) return 'fail';
  return said.length ? 'pass' : null;
}
