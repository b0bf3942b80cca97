import { describe, expect, it } from 'vitest';
import { LogFeed } from '../../src/logs/log-feed.js';

describe('the log feed', () => {
  it('cuts an entry beyond its size, so one huge prompt does not hold the memory of thousands', () => {
    const feed = new LogFeed({ maxEntryChars: 8192 });
    const huge = 'x'.repeat(200_000);
    const long = feed.append('ollama_http', 'info', huge);
    expect(long.message.length).toBeLessThanOrEqual(8192);
    expect(long.message).toMatch(/… \(\d+ more characters\)$/);
    const detailed = feed.append('server', 'error', 'request failed', { err: { stack: huge } });
    expect(JSON.stringify(detailed).length).toBeLessThan(8192 + 300);
    expect(detailed.data).toMatchObject({ truncated: true, preview: expect.stringContaining('{"err":{"stack":"xxx') });
    // Small details stay as they are.
    expect(feed.append('runs', 'info', 'run 1 queued', { run_id: 1, nested: { ok: true } }).data).toEqual({ run_id: 1, nested: { ok: true } });
  });

  it('numbers entries across channels in one increasing order, above any earlier server start', async () => {
    const earlier = new LogFeed();
    for (let index = 0; index < 50; index++) earlier.append('server', 'info', `line ${index}`);
    // A restart takes far longer than this; the numbers leave room for a thousand entries a millisecond.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const feed = new LogFeed();
    const seqs = [feed.append('server', 'info', 'a'), feed.append('ollama_http', 'info', 'b'), feed.append('runs', 'info', 'c')].map((entry) => entry.seq);
    expect(seqs).toEqual([seqs[0], seqs[0]! + 1, seqs[0]! + 2]);
    expect(seqs[0]).toBeGreaterThan(earlier.lastSeq);
    expect(feed.after(seqs[0]!).items.map((entry) => entry.message)).toEqual(['b', 'c']);
    expect(feed.after(0, { channel: 'ollama_http' }).items.map((entry) => entry.message)).toEqual(['b']);
  });

  it('hides secrets in messages and details, and keeps a failing listener from stopping the others', () => {
    const feed = new LogFeed({ secrets: ['s3cret-token-value', undefined, 'short'] });
    const heard: string[] = [];
    feed.subscribe(() => {
      throw new Error('gone');
    });
    const stop = feed.subscribe((entry) => heard.push(entry.message));
    const entry = feed.append('server', 'info', 'GET /x?t=s3cret-token-value', { url: '/x?t=s3cret-token-value', word: 'short' });
    expect(entry.message).toBe('GET /x?t=[redacted]');
    expect(entry.data).toEqual({ url: '/x?t=[redacted]', word: 'short' });
    stop();
    feed.append('server', 'info', 'after');
    expect(heard).toEqual(['GET /x?t=[redacted]']);
  });
});
