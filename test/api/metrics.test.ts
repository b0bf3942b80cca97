import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { backends } from '../helpers/database.js';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';

/** The value of one series in Prometheus's text format, by its name and labels (in any order). */
function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const has = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, wanted]) => has[key] === wanted) && Object.keys(has).length === Object.keys(labels).length) return Number(match[3]);
  }
  return undefined;
}

describe.each(backends())('/metrics on %s', (kind) => {
  let ollama: FakeOllama;
  let hub: TestHub;

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    hub = await createTestHub(kind, { ollamaHost: ollama.url, firstTokenTimeout: 10 });
    await hub.app.ready();
    await hub.services.scheduler.start();
  });
  afterAll(async () => {
    await hub?.close();
    await ollama?.stop();
  });

  const scrape = async () => {
    const answer = await hub.call('GET', '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toContain('text/plain');
    return answer.raw.body;
  };

  it("reports a scripted run's tokens, its end and duration, the runs by status and the requests answered", async () => {
    const before = await scrape();
    expect(value(before, 'wfhub_runs', { status: 'succeeded' })).toBe(0);
    expect(value(before, 'wfhub_run_queue_depth')).toBe(0);

    const project = (await hub.call('POST', '/projects', { name: 'Measured', workspace_path: 'measured' })).body;
    const task = (await hub.call('POST', '/tasks', { project_id: project.id, title: 'Write a note' })).body;
    ollama.script(
      { toolCalls: [{ name: 'write', arguments: { path: 'note.txt', content: 'measured\n' } }], promptTokens: 120, completionTokens: 30 },
      { text: 'Wrote note.txt.', promptTokens: 160, completionTokens: 8 },
    );
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`)).body;
    expect(run.status).toBe('succeeded');
    await hub.services.modelCalls.flush();
    await expect.poll(async () => value(await scrape(), 'wfhub_runs_finished_total', { status: 'succeeded' })).toBe(1);

    const text = await scrape();
    const agent = { source: 'agent', model: 'qwen2.5-coder:3b' };
    expect(value(text, 'wfhub_model_tokens_total', { ...agent, kind: 'prompt' })).toBe(run.prompt_tokens);
    expect(value(text, 'wfhub_model_tokens_total', { ...agent, kind: 'completion' })).toBe(run.completion_tokens);
    expect(run.prompt_tokens).toBe(280);
    // Two chat calls and the question about the model, all answered.
    expect(value(text, 'wfhub_model_calls_total', { ...agent, outcome: 'ok' })).toBe(3);
    expect(value(text, 'wfhub_model_call_duration_seconds_count', agent)).toBe(3);
    expect(value(text, 'wfhub_runs', { status: 'succeeded' })).toBe(1);
    expect(value(text, 'wfhub_tasks', { status: 'todo' })! + value(text, 'wfhub_tasks', { status: 'review' })! + value(text, 'wfhub_tasks', { status: 'done' })!).toBe(1);
    expect(value(text, 'wfhub_run_duration_seconds_count', { status: 'succeeded' })).toBe(1);
    const seconds = value(text, 'wfhub_run_duration_seconds_sum', { status: 'succeeded' })!;
    const took = (new Date(run.finished_at).getTime() - new Date(run.started_at).getTime()) / 1000;
    expect(seconds).toBeCloseTo(took, 3);
    // Requests are counted by their route's pattern, not their URL.
    expect(value(text, 'wfhub_http_requests_total', { method: 'POST', route: '/tasks/:id/trigger', status: '200' })).toBe(1);
    expect(value(text, 'wfhub_http_requests_total', { method: 'POST', route: '/projects', status: '201' })).toBe(1);
    expect(text).not.toContain(`/tasks/${task.id}/trigger`);
    expect(value(text, 'wfhub_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts a queued run in the queue depth', async () => {
    await hub.services.scheduler.stop();
    const project = (await hub.call('POST', '/projects', { name: 'Waiting', workspace_path: 'waiting' })).body;
    const task = (await hub.call('POST', '/tasks', { project_id: project.id, title: 'Wait' })).body;
    expect((await hub.call('POST', `/tasks/${task.id}/trigger`)).status).toBe(202);
    const text = await scrape();
    expect(value(text, 'wfhub_run_queue_depth')).toBe(1);
    expect(value(text, 'wfhub_runs', { status: 'queued' })).toBe(1);
  });
});
