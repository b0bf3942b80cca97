import { describe, expect, it } from 'vitest';
import { pullProgress } from '../../src/cli/pull-progress.js';

describe("a pull's progress", () => {
  it('redraws one line with a bar at a terminal, and ends it with a newline', () => {
    const written: string[] = [];
    const progress = pullProgress({ isTTY: true, write: (text) => written.push(text) });
    progress.update({ status: 'pulling manifest' });
    progress.update({ status: 'pulling 2bada8a74506', total: 2 * 1024 ** 3, completed: 1024 ** 3 });
    progress.end();
    expect(written[0]).toBe('\r\x1b[2Kpulling manifest');
    expect(written[1]).toBe('\r\x1b[2Kpulling 2bada8a74506 [##########..........] 50% of 2.0 GB');
    expect(written.at(-1)).toBe('\n');
  });

  it('writes each status once and the download by tenths elsewhere, without control characters from the server', () => {
    const written: string[] = [];
    const progress = pullProgress({ isTTY: false, write: (text) => written.push(text) });
    for (const completed of [0, 10, 15, 55, 100]) progress.update({ status: 'pulling \x1b[31mlayer', total: 100 * 1024 ** 2, completed: completed * 1024 ** 2 });
    progress.update({ status: 'success' });
    progress.end();
    // The escape character is dropped, so what is left of the sequence cannot recolour the terminal.
    expect(written).toEqual(['pulling [31mlayer 0% of 100 MB\n', 'pulling [31mlayer 10% of 100 MB\n', 'pulling [31mlayer 50% of 100 MB\n', 'pulling [31mlayer 100% of 100 MB\n', 'success\n']);
    expect(written.join('')).not.toContain('\x1b');
  });
});
