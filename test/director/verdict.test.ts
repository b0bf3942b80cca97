import { describe, expect, it } from 'vitest';
import { verdictOf } from '../../src/director/verdict.js';

describe("a reviewing model's verdict", () => {
  it('reads the VERDICT line, however it is dressed', () => {
    expect(verdictOf('All criteria hold.\nVERDICT: PASS')).toBe('pass');
    expect(verdictOf('**Verdict:** fail\nThe greeting says hi.')).toBe('fail');
    expect(verdictOf('- VERDICT - PASSED')).toBe('pass');
    expect(verdictOf('## verdict: FAIL')).toBe('fail');
  });

  it('is not turned round by the explanation after it, and a FAIL line wins', () => {
    expect(verdictOf('VERDICT: FAIL\n\nFix: make sure the final verdict passes once the file exists.')).toBe('fail');
    expect(verdictOf('VERDICT: FAIL — the dev run claimed verdict: pass, but the check failed.')).toBe('fail');
    expect(verdictOf('VERDICT: PASS\nVERDICT: FAIL: one criterion does not hold')).toBe('fail');
  });

  it('counts only lines that start with it, and answers null when there is none', () => {
    expect(verdictOf('I was asked to end with "VERDICT: PASS" or "VERDICT: FAIL".\nNothing to add.')).toBeNull();
    expect(verdictOf('Looks good to me.')).toBeNull();
    expect(verdictOf('')).toBeNull();
  });
});
