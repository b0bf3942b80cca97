import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookTable } from '../../src/webhooks/webhook.sql.js';
import { expectedSignature, WebhookReceiver } from '../fakes/webhook-receiver.js';
import { backends } from '../helpers/database.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

describe.each(backends())('webhook routes, on %s', (kind) => {
  let hub: TestHub;
  let receiver: WebhookReceiver;
  let projectId: number;

  beforeAll(async () => {
    hub = await createTestHub(kind);
    receiver = await new WebhookReceiver().start();
    projectId = (await hub.call('POST', '/projects', { name: 'Hooks', workspace_path: 'hooks' })).body.id;
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.stop();
  });

  const create = (body: unknown, project = projectId) => hub.call('POST', `/projects/${project}/webhooks`, body);

  it('answers the secret once, when the webhook is made, and never again', async () => {
    const created = await create({ url: `${receiver.url}/once`, events: ['run.finished', 'task.status_changed'], description: 'CI' });
    expect(created.status).toBe(201);
    const { secret, ...webhook } = created.body;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
    expect(webhook).toMatchObject({ project_id: projectId, url: `${receiver.url}/once`, events: ['run.finished', 'task.status_changed'], active: true, description: 'CI', secret_hint: `…${secret.slice(-4)}`, last_delivery: null });

    const answers = [
      await hub.call('GET', `/webhooks/${webhook.id}`),
      await hub.call('GET', `/projects/${projectId}/webhooks`),
      await hub.call('PATCH', `/webhooks/${webhook.id}`, { events: ['run.finished'] }),
      await hub.call('POST', `/webhooks/${webhook.id}/test`),
      await hub.call('GET', `/webhooks/${webhook.id}/deliveries`),
      await hub.call('GET', '/openapi.json'),
    ];
    for (const answer of answers) {
      expect(answer.status).toBeLessThan(300);
      expect(answer.raw.body).not.toContain(secret);
      expect(answer.raw.body).not.toContain('sealed_secret');
    }
    expect(answers[0]!.body).toEqual({ ...webhook, updated_at: expect.any(String) });
    expect(answers[1]!.body.map((item: { id: number }) => item.id)).toContain(webhook.id);
    expect(answers[2]!.body.events).toEqual(['run.finished']);
    // Sealed in the database, never in the clear.
    const [row] = await hub.services.db.select().from(webhookTable).where(eq(webhookTable.id, webhook.id));
    expect(row!.sealed_secret).toMatch(/^v1\./);
    expect(row!.sealed_secret).not.toContain(secret);
  });

  it('takes a secret of your own, and rotates it: the new one answered once, used from then on', async () => {
    const mine = 'my-own-secret-0123456789';
    const created = await create({ url: `${receiver.url}/rotate`, events: ['task.status_changed'], secret: mine });
    expect(created.status).toBe(201);
    expect(created.body.secret).toBe(mine);
    const id = created.body.id;

    const pinged = await hub.call('POST', `/webhooks/${id}/test`);
    expect(pinged.status).toBe(201);
    const [first] = receiver.at('/rotate');
    expect(first!.headers['x-wfhub-signature']).toBe(expectedSignature(mine, first!.raw));

    const rotated = await hub.call('POST', `/webhooks/${id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret_hint).toBe(`…${rotated.body.secret.slice(-4)}`);
    expect((await hub.call('GET', `/webhooks/${id}`)).raw.body).not.toContain(rotated.body.secret);
    await hub.call('POST', `/webhooks/${id}/test`);
    const [, second] = receiver.at('/rotate');
    expect(second!.headers['x-wfhub-signature']).toBe(expectedSignature(rotated.body.secret, second!.raw));

    const chosen = await hub.call('POST', `/webhooks/${id}/rotate-secret`, { secret: 'another-secret-of-mine' });
    expect(chosen.body.secret).toBe('another-secret-of-mine');
    expect(errorCode(await hub.call('POST', `/webhooks/${id}/rotate-secret`, { secret: 'short' }))).toBe('invalid_request');
  });

  it('refuses URLs it will not send to, and bad events, with 400', async () => {
    for (const url of ['ftp://example.com/hook', 'not a url', 'https://user:pass@example.com/hook', 'https://token@example.com/hook', 'javascript:alert(1)', 'file:///etc/passwd', '', '/relative/path', `https://example.com/${'a'.repeat(2000)}`]) {
      const answer = await create({ url, events: ['run.finished'] });
      expect(answer.status, url).toBe(400);
      expect(errorCode(answer)).toBe('invalid_request');
    }
    expect((await create({ url: 'https://user:pass@example.com/' , events: ['run.finished'] })).body.error.message).toContain('user name or password');
    for (const events of [[], ['run.started'], ['run.finished', 'run.finished'], 'run.finished', ['ping']]) {
      const answer = await create({ url: 'https://example.com/hook', events });
      expect(answer.status, JSON.stringify(events)).toBe(400);
    }
    expect((await create({ url: 'https://example.com/hook' })).status).toBe(400);
    expect((await create({ url: 'https://example.com/hook', events: ['run.finished'], colour: 'red' })).status).toBe(400);
    for (const body of ['null', '[]', '"text"', '{']) expect((await create(body)).status, body).toBe(400);
    expect((await hub.call('PATCH', `/webhooks/${(await create({ url: 'https://example.com/ok', events: ['run.finished'] })).body.id}`, { url: 'gopher://example.com' })).status).toBe(400);
    // Any host is fine, this machine's too (the receiver may be local).
    expect((await create({ url: 'http://127.0.0.1:9/hook?source=wfhub', events: ['task.status_changed'] })).status).toBe(201);
  });

  it('answers unknown ids 404 and a full project 422', async () => {
    expect(errorCode(await create({ url: 'https://example.com/hook', events: ['run.finished'] }, 999_999))).toBe('not_found');
    for (const path of ['/webhooks/999999', '/webhooks/99999999999', '/webhooks/999999/deliveries', '/projects/999999/webhooks']) {
      const answer = await hub.call('GET', path);
      expect(answer.status, path).toBe(404);
      expect(errorCode(answer)).toBe('not_found');
    }
    expect((await hub.call('GET', '/webhooks/abc')).status).toBe(400);
    expect((await hub.call('PATCH', '/webhooks/999999', { active: false })).status).toBe(404);
    expect((await hub.call('DELETE', '/webhooks/999999')).status).toBe(404);
    expect((await hub.call('POST', '/webhooks/999999/test')).status).toBe(404);
    expect((await hub.call('POST', '/webhooks/999999/rotate-secret')).status).toBe(404);
    expect((await hub.call('POST', '/webhooks/deliveries/999999/redeliver')).status).toBe(404);

    const full = (await hub.call('POST', '/projects', { name: 'Full', workspace_path: 'full' })).body.id;
    const made = await Promise.all(Array.from({ length: 21 }, (_, index) => create({ url: `https://example.com/${index}`, events: ['run.finished'] }, full)));
    expect(made.filter((answer) => answer.status === 201)).toHaveLength(20);
    const refused = made.find((answer) => answer.status !== 201)!;
    expect(refused.status).toBe(422);
    expect(errorCode(refused)).toBe('too_many_webhooks');
  });

  it('sends a ping now and answers the delivery; one to a dead URL fails at once, with why', async () => {
    const id = (await create({ url: `${receiver.url}/ping`, events: ['task.status_changed'] })).body.id;
    const answer = await hub.call('POST', `/webhooks/${id}/test`);
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ webhook_id: id, event: 'ping', status: 'delivered', attempts: 1, last_status_code: 200, response_excerpt: 'ok', next_attempt_at: null });
    const [received] = receiver.at('/ping');
    expect(received!.headers['x-wfhub-event']).toBe('ping');
    expect(received!.headers['x-wfhub-delivery']).toBe(String(answer.body.id));
    expect(received!.body).toEqual(answer.body.payload);
    expect(received!.body).toMatchObject({ id: answer.body.id, event: 'ping', project_id: projectId, data: { webhook_id: id, events: ['task.status_changed'] } });
    expect((await hub.call('GET', `/webhooks/${id}`)).body.last_delivery).toMatchObject({ id: answer.body.id, event: 'ping', status: 'delivered', last_status_code: 200 });

    const dead = (await create({ url: 'http://127.0.0.1:9/hook', events: ['run.finished'] })).body.id;
    const failed = await hub.call('POST', `/webhooks/${dead}/test`);
    expect(failed.status).toBe(201);
    expect(failed.body).toMatchObject({ status: 'failed', attempts: 1, last_status_code: null, next_attempt_at: null });
    expect(failed.body.last_error).toContain('cannot reach 127.0.0.1:9');
  });

  it('lists deliveries newest first, paged, and redelivers one as a new delivery', async () => {
    const id = (await create({ url: `${receiver.url}/log`, events: ['task.status_changed'] })).body.id;
    const sent: number[] = [];
    for (let index = 0; index < 3; index++) sent.push((await hub.call('POST', `/webhooks/${id}/test`)).body.id);
    const page = await hub.call('GET', `/webhooks/${id}/deliveries?limit=2`);
    expect(page.status).toBe(200);
    expect(page.headers['x-total-count']).toBe('3');
    expect(page.body.map((delivery: { id: number }) => delivery.id)).toEqual([sent[2], sent[1]]);
    expect((await hub.call('GET', `/webhooks/${id}/deliveries?limit=2&offset=2`)).body.map((delivery: { id: number }) => delivery.id)).toEqual([sent[0]]);
    expect((await hub.call('GET', `/webhooks/${id}/deliveries?status=failed`)).body).toEqual([]);
    expect((await hub.call('GET', `/webhooks/${id}/deliveries?status=lost`)).status).toBe(400);
    expect((await hub.call('GET', `/webhooks/${id}/deliveries?limit=0`)).status).toBe(400);

    const again = await hub.call('POST', `/webhooks/deliveries/${sent[0]}/redeliver`);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ webhook_id: id, event: 'ping', status: 'delivered', redelivery_of: sent[0] });
    expect(again.body.id).not.toBe(sent[0]);
    const original = (await hub.call('GET', `/webhooks/${id}/deliveries?limit=5`)).body.find((delivery: { id: number }) => delivery.id === sent[0]);
    expect(again.body.payload.data).toEqual(original.payload.data);
    expect(receiver.at('/log').at(-1)!.headers['x-wfhub-delivery']).toBe(String(again.body.id));
  });

  it('turns a webhook off and on, and deletes it with its log', async () => {
    const id = (await create({ url: `${receiver.url}/toggle`, events: ['task.status_changed'] })).body.id;
    const task = (await hub.call('POST', '/tasks', { project_id: projectId, title: 'Toggle' })).body;
    expect((await hub.call('PATCH', `/webhooks/${id}`, { active: false, description: null })).body).toMatchObject({ active: false, description: null });
    await hub.call('PATCH', `/tasks/${task.id}`, { status: 'review' });
    expect((await hub.call('GET', `/webhooks/${id}/deliveries`)).body).toEqual([]);
    expect((await hub.call('PATCH', `/webhooks/${id}`, { active: true })).body.active).toBe(true);
    await hub.call('PATCH', `/tasks/${task.id}`, { status: 'done' });
    const [recorded] = (await hub.call('GET', `/webhooks/${id}/deliveries`)).body;
    expect(recorded).toMatchObject({ event: 'task.status_changed', status: 'pending', attempts: 0, payload: { data: { old_status: 'review', new_status: 'done' } } });
    expect((await hub.call('PATCH', `/webhooks/${id}`, {})).status).toBe(200);

    expect((await hub.call('DELETE', `/webhooks/${id}`)).status).toBe(204);
    expect((await hub.call('GET', `/webhooks/${id}`)).status).toBe(404);
    expect((await hub.call('GET', `/webhooks/${id}/deliveries`)).status).toBe(404);
    expect((await hub.call('POST', `/webhooks/deliveries/${recorded.id}/redeliver`)).status).toBe(404);
  });

  it("goes with its project when the project is deleted", async () => {
    const project = (await hub.call('POST', '/projects', { name: 'Gone', workspace_path: 'gone' })).body.id;
    const id = (await create({ url: `${receiver.url}/gone`, events: ['run.finished'] }, project)).body.id;
    expect((await hub.call('DELETE', `/projects/${project}`)).status).toBe(204);
    expect((await hub.call('GET', `/webhooks/${id}`)).status).toBe(404);
  });
});
