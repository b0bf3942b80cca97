import { describe, expect, it } from 'vitest';
import { RunQueue } from '../../src/runs/run-queue.js';
import { backends, openTestDatabase } from '../helpers/database.js';

describe.each(backends())('the run queue on %s', (kind) => {
  it('takes at most the limit across all its queues, and sends a job back when its run was not taken', async () => {
    const database = await openTestDatabase(kind);
    const queue = new RunQueue(database.connection, { jobExpirySeconds: 3600 });
    try {
      await queue.start();
      for (const [runId, name] of [[1, 'wfhub-runs.a'], [2, 'wfhub-runs.b'], [3, 'wfhub-runs.a'], [4, 'wfhub-runs.b']] as const) {
        await queue.enqueueLater(runId, name, 0);
      }
      const seen: number[] = [];
      let running = 0;
      let peak = 0;
      await queue.work(['wfhub-runs.a', 'wfhub-runs.b'], 2, async (runId) => {
        seen.push(runId);
        // The first time run 1 comes, it is handed back (a worker stopping): it must come again.
        if (runId === 1 && seen.filter((id) => id === 1).length === 1) return false;
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 300));
        running--;
        return true;
      });
      const deadline = Date.now() + 20_000;
      while (!(seen.filter((id) => id === 1).length === 2 && [2, 3, 4].every((id) => seen.includes(id))) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(seen.filter((id) => id === 1)).toHaveLength(2);
      expect(seen.filter((id) => id !== 1).sort()).toEqual([2, 3, 4]);
      expect(peak).toBe(2);
    } finally {
      await queue.stop();
      await database.close();
    }
  });
});
