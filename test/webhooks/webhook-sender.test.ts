import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebhookSender, type WebhookSenderOptions } from '../../src/webhooks/webhook-sender.js';
import type { WebhookEvent } from '../../src/webhooks/webhook.schema.js';
import { webhookDeliveryTable } from '../../src/webhooks/webhook.sql.js';
import { expectedSignature, WebhookReceiver } from '../fakes/webhook-receiver.js';
import { backends } from '../helpers/database.js';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe.each(backends())('webhook deliveries, on %s', (kind) => {
  let hub: TestHub;
  let receiver: WebhookReceiver;
  const senders: WebhookSender[] = [];
  let projects = 0;

  beforeAll(async () => {
    hub = await createTestHub(kind);
    receiver = await new WebhookReceiver().start();
  });
  afterEach(async () => {
    await Promise.all(senders.splice(0).map((sender) => sender.stop()));
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.stop();
  });

  /** A sender with waits short enough for a test: the schedule is the sender's own option. */
  const sender = (options: WebhookSenderOptions = {}) => {
    const made = new WebhookSender(hub.services.db, hub.services.feed, hub.services.webhooks, {
      retry: { delaysMs: [150, 300], jitter: 0 },
      sweepMs: 200,
      ...options,
    });
    senders.push(made);
    return made;
  };

  /** A project of its own (so no other test's events reach it) with one webhook to `path`. */
  const hooked = async (path: string, events: WebhookEvent[]) => {
    const project = await hub.services.projects.create({ name: `Hooked ${++projects}`, workspace_path: `hooked-${projects}` });
    const webhook = await hub.services.webhooks.create(project.id, { url: `${receiver.url}${path}`, events });
    return { project, webhook, secret: webhook.secret };
  };

  const deliveriesOf = async (webhookId: number) => (await hub.services.webhooks.deliveries(webhookId, { limit: 100, offset: 0 })).items;

  it('sends one run.finished when a run ends, signed over the exact raw body', async () => {
    const { project, webhook, secret } = await hooked('/run', ['run.finished']);
    sender().start();
    const task = await hub.services.tasks.create({ project_id: project.id, title: 'Say hello' });
    const run = await hub.services.runs.create(task.id, {}, async () => {});
    await hub.services.runs.finish(run.id, { status: 'succeeded', summary: 'Wrote hello.txt.', filesChanged: ['hello.txt'], steps: 3, model: 'qwen2.5-coder:3b' });

    const [received] = await receiver.waitFor('/run', 1);
    // A second finish (a cancel losing the race) changes nothing, and nothing else is sent.
    await hub.services.runs.finish(run.id, { status: 'cancelled' });
    await sleep(500);
    expect(receiver.at('/run')).toHaveLength(1);

    expect(received!.headers['content-type']).toBe('application/json');
    expect(received!.headers['x-wfhub-event']).toBe('run.finished');
    expect(received!.headers['x-wfhub-signature']).toBe(expectedSignature(secret, received!.raw));
    expect(received!.headers['x-wfhub-signature']).not.toBe(expectedSignature(`${secret}x`, received!.raw));
    const body = received!.body;
    expect(received!.headers['x-wfhub-delivery']).toBe(String(body.id));
    expect(body).toMatchObject({
      event: 'run.finished',
      project_id: project.id,
      data: {
        run: { id: run.id, task_id: task.id, status: 'succeeded', summary: 'Wrote hello.txt.', files_changed: ['hello.txt'], files_changed_count: 1, steps: 3, model: 'qwen2.5-coder:3b', error: null },
        task: { id: task.id, project_id: project.id, title: 'Say hello' },
      },
    });
    expect(body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(body.data.run.finished_at).toMatch(/Z$/);

    const [delivery, ...others] = await deliveriesOf(webhook.id);
    expect(others).toHaveLength(0);
    expect(delivery).toMatchObject({ id: body.id, event: 'run.finished', status: 'delivered', attempts: 1, last_status_code: 200, response_excerpt: 'ok', last_error: null, next_attempt_at: null });
    expect(delivery!.delivered_at).not.toBeNull();
    // The log shows the body that was sent, byte for byte.
    expect(JSON.stringify(delivery!.payload)).toBe(received!.raw.toString('utf8'));
  });

  it('sends one task.status_changed per status change, with the old and the new status, whatever made the change', async () => {
    const { project, webhook } = await hooked('/task', ['task.status_changed']);
    sender().start();
    const task = await hub.services.tasks.create({ project_id: project.id, title: 'Review me' });
    await hub.services.tasks.update(task.id, { title: 'Review me, please' });
    await hub.services.tasks.update(task.id, { status: 'review' });
    await hub.services.tasks.update(task.id, { status: 'review', priority: 'high' });

    const [received] = await receiver.waitFor('/task', 1);
    expect(received!.body.data).toMatchObject({
      old_status: 'todo',
      new_status: 'review',
      task: { id: task.id, project_id: project.id, title: 'Review me, please', status: 'review', parent_id: null, autopilot: false },
    });
    // A run moves the task too (to in_progress, then review): each move is an event.
    await hub.services.tasks.update(task.id, { status: 'todo' });
    const run = await hub.services.runs.create(task.id, {}, async () => {});
    await hub.services.runs.finish(run.id, { status: 'failed', error: { code: 'step_limit', message: 'too many steps' } });
    // Sent side by side, so they may arrive in any order: the delivery ids tell the order of the events.
    const all = [...(await receiver.waitFor('/task', 4))].sort((a, b) => a.body.id - b.body.id);
    await sleep(400);
    expect(receiver.at('/task')).toHaveLength(4);
    expect(all.map((item) => `${item.body.data.old_status}→${item.body.data.new_status}`)).toEqual(['todo→review', 'review→todo', 'todo→in_progress', 'in_progress→failed']);
    expect(new Set(all.map((item) => item.body.id)).size).toBe(4);
    expect((await deliveriesOf(webhook.id)).every((delivery) => delivery.status === 'delivered')).toBe(true);
  });

  it('retries a receiver that fails, with the same body and signature, after the backoff, until it answers 2xx', async () => {
    const { project, webhook, secret } = await hooked('/flaky', ['task.status_changed']);
    receiver.script('/flaky', { status: 500, body: 'boom' }, { status: 502 });
    sender().start();
    const task = await hub.services.tasks.create({ project_id: project.id, title: 'Flaky' });
    await hub.services.tasks.update(task.id, { status: 'done' });

    const tries = await receiver.waitFor('/flaky', 3);
    expect(new Set(tries.map((item) => item.raw.toString('hex'))).size).toBe(1);
    expect(new Set(tries.map((item) => item.headers['x-wfhub-delivery'])).size).toBe(1);
    for (const item of tries) expect(item.headers['x-wfhub-signature']).toBe(expectedSignature(secret, item.raw));
    // The schedule given: 150 ms, then 300 ms (no jitter).
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(140);
    expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(290);
    await until(async () => (await deliveriesOf(webhook.id))[0]?.status === 'delivered', 'the delivery delivered');
    expect((await deliveriesOf(webhook.id))[0]).toMatchObject({ attempts: 3, last_status_code: 200, last_error: null });
  });

  it('waits out a 429 Retry-After longer than its own backoff', async () => {
    const { project, webhook } = await hooked('/limited', ['task.status_changed']);
    receiver.script('/limited', { status: 429, headers: { 'retry-after': '1' } });
    sender().start();
    const task = await hub.services.tasks.create({ project_id: project.id, title: 'Limited' });
    await hub.services.tasks.update(task.id, { status: 'blocked' });

    await receiver.waitFor('/limited', 1);
    await until(async () => (await deliveriesOf(webhook.id))[0]?.attempts === 1, 'the first attempt recorded');
    const waiting = (await deliveriesOf(webhook.id))[0]!;
    expect(waiting).toMatchObject({ status: 'pending', last_status_code: 429, last_error: 'HTTP 429' });
    expect(waiting.next_attempt_at!.getTime() - waiting.last_attempt_at!.getTime()).toBeGreaterThanOrEqual(990);
    const tries = await receiver.waitFor('/limited', 2);
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(950);
    await until(async () => (await deliveriesOf(webhook.id))[0]?.status === 'delivered', 'the delivery delivered');
  });

  it('gives up after the last attempt: failed, with the status and the start of the answer', async () => {
    const { project, webhook } = await hooked('/down', ['task.status_changed']);
    receiver.answerAlways('/down', { status: 500, body: `${'x'.repeat(10_000)}` });
    sender({ retry: { delaysMs: [50, 50], jitter: 0 } }).start();
    const task = await hub.services.tasks.create({ project_id: project.id, title: 'Down' });
    await hub.services.tasks.update(task.id, { status: 'cancelled' });

    await until(async () => (await deliveriesOf(webhook.id))[0]?.status === 'failed', 'the delivery given up');
    await sleep(500);
    expect(receiver.at('/down')).toHaveLength(3);
    const [delivery] = await deliveriesOf(webhook.id);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 3, last_status_code: 500, last_error: 'HTTP 500', next_attempt_at: null, delivered_at: null });
    expect(delivery!.response_excerpt!.length).toBe(2048);
    const listed = await hub.services.webhooks.get(webhook.id);
    expect(listed.last_delivery).toMatchObject({ id: delivery!.id, status: 'failed', last_status_code: 500 });
  });

  it('never follows a redirect, and says where it pointed', async () => {
    const { project, webhook } = await hooked('/moved', ['task.status_changed']);
    receiver.answerAlways('/moved', { status: 302, headers: { location: `${receiver.url}/elsewhere` } });
    sender({ retry: { delaysMs: [], jitter: 0 } }).start();
    const task = await hub.services.tasks.create({ project_id: project.id, title: 'Moved' });
    await hub.services.tasks.update(task.id, { status: 'done' });
    await until(async () => (await deliveriesOf(webhook.id))[0]?.status === 'failed', 'the delivery failed');
    const [delivery] = await deliveriesOf(webhook.id);
    expect(delivery!.last_status_code).toBe(302);
    expect(delivery!.last_error).toContain(`${receiver.url}/elsewhere`);
    expect(delivery!.last_error).toContain('not follow');
    expect(receiver.at('/elsewhere')).toHaveLength(0);
  });

  it('records what happened while no sender ran, and a restarted sender (two processes at once) sends each delivery once', async () => {
    const { project, webhook } = await hooked('/resume', ['task.status_changed']);
    receiver.answerAlways('/resume', { status: 204, delayMs: 150 });
    const tasks = [];
    for (let index = 0; index < 3; index++) tasks.push(await hub.services.tasks.create({ project_id: project.id, title: `Resume ${index}` }));
    const first = sender({ concurrency: 1 });
    first.start();
    for (const task of tasks) await hub.services.tasks.update(task.id, { status: 'in_progress' });
    // Stopped mid-way: the send under way finishes, the rest wait in the database.
    await receiver.waitFor('/resume', 1);
    await first.stop();
    for (const task of tasks) await hub.services.tasks.update(task.id, { status: 'review' });
    const sentBefore = receiver.at('/resume').length;
    expect(sentBefore).toBeLessThan(6);
    expect((await deliveriesOf(webhook.id)).filter((delivery) => delivery.status === 'pending').length).toBe(6 - sentBefore);
    await sleep(300);
    expect(receiver.at('/resume')).toHaveLength(sentBefore);

    const again = [sender(), sender(), sender()];
    for (const one of again) one.start();
    await until(async () => (await deliveriesOf(webhook.id)).every((delivery) => delivery.status === 'delivered'), 'every delivery delivered');
    await sleep(400);
    const ids = receiver.at('/resume').map((item) => item.body.id);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
  });

  it("leaves a delivery another process holds until that process's lease runs out (a crash mid-send), then sends it", async () => {
    const { project, webhook } = await hooked('/leased', ['task.status_changed']);
    const task = await hub.services.tasks.create({ project_id: project.id, title: 'Leased' });
    await hub.services.tasks.update(task.id, { status: 'done' });
    const [pending] = await deliveriesOf(webhook.id);
    // As a process that died while sending it left it.
    await hub.services.db.update(webhookDeliveryTable).set({ lease_until: new Date(Date.now() + 700) }).where(eq(webhookDeliveryTable.id, pending!.id));
    sender().start();
    await sleep(400);
    expect(receiver.at('/leased')).toHaveLength(0);
    await receiver.waitFor('/leased', 1);
    await sleep(300);
    expect(receiver.at('/leased')).toHaveLength(1);
  });

  it('records nothing for an inactive webhook, nor for events it did not ask for', async () => {
    const { project, webhook } = await hooked('/quiet', ['run.finished']);
    const task = await hub.services.tasks.create({ project_id: project.id, title: 'Quiet' });
    await hub.services.tasks.update(task.id, { status: 'done' });
    await hub.services.webhooks.update(webhook.id, { active: false });
    const run = await hub.services.runs.create(task.id, {}, async () => {});
    await hub.services.runs.finish(run.id, { status: 'succeeded' });
    expect(await deliveriesOf(webhook.id)).toHaveLength(0);
  });

  it('shows no secret in what it records, even when the receiver echoes it', async () => {
    const { project, webhook, secret } = await hooked('/echo', ['task.status_changed']);
    receiver.answerAlways('/echo', { status: 400, body: `bad secret ${secret}` });
    sender({ retry: { delaysMs: [], jitter: 0 } }).start();
    const task = await hub.services.tasks.create({ project_id: project.id, title: 'Echo' });
    await hub.services.tasks.update(task.id, { status: 'done' });
    await until(async () => (await deliveriesOf(webhook.id))[0]?.status === 'failed', 'the delivery failed');
    const [delivery] = await deliveriesOf(webhook.id);
    expect(delivery!.response_excerpt).toBe('bad secret [redacted]');
    const rows = await hub.services.db.select().from(webhookDeliveryTable).where(eq(webhookDeliveryTable.webhook_id, webhook.id));
    expect(JSON.stringify(rows)).not.toContain(secret);
  });
});
