import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedSignature, WebhookReceiver } from '../fakes/webhook-receiver.js';
import { screenshotPath } from '../helpers/browser.js';
import { startBrowserHub, type BrowserHub } from '../helpers/browser-hub.js';
import type { TestHub } from '../helpers/test-hub.js';

describe('the web UI in Chromium: webhooks', () => {
  let setup: BrowserHub | undefined;
  let receiver: WebhookReceiver;
  let hub: TestHub;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    setup = await startBrowserHub();
    ({ hub, page, base } = setup);
  });
  afterAll(async () => {
    await setup?.close();
    await receiver?.stop();
  });

  it('adds a webhook in the project settings, shows its secret once, sends a test and shows it in the delivery log', async () => {
    const projectId = (await hub.call('POST', '/projects', { name: 'Hooked', workspace_path: 'hooked' })).body.id;
    await page.goto(`${base}/#/projects/${projectId}/settings`);
    const section = page.getByRole('dialog', { name: 'Project settings' }).getByRole('region', { name: 'Webhooks' });
    await section.getByText('No webhooks yet.').waitFor();

    const form = section.getByRole('form', { name: 'Add a webhook' });
    await form.getByLabel('URL').fill('ftp://example.com/hook');
    await form.getByLabel(/^task\.status_changed/).uncheck();
    await form.getByRole('button', { name: 'Add webhook' }).click();
    expect(await form.getByRole('alert').textContent()).toContain('http:// or https://');
    await form.getByLabel('URL').fill(`${receiver.url}/hook`);
    await form.getByRole('button', { name: 'Add webhook' }).click();

    const shown = section.getByRole('region', { name: 'Webhook secret' });
    const secret = (await shown.getByLabel('Secret').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    const item = section.getByRole('listitem', { name: `Webhook ${receiver.url}/hook` });
    await item.waitFor();
    expect(await item.textContent()).toContain(`run.finished`);
    expect(await item.textContent()).not.toContain('task.status_changed');
    expect(await item.textContent()).toContain(`secret …${secret.slice(-4)}`);
    await page.screenshot({ path: screenshotPath('webhooks-secret'), fullPage: true });
    await shown.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'detached' });
    // Once: read again, the page knows only the hint.
    await page.reload();
    await item.waitFor();
    expect(await page.content()).not.toContain(secret);

    await item.getByRole('button', { name: 'Send test' }).click();
    await item.getByRole('status').filter({ hasText: 'Test delivered (200)' }).waitFor();
    const [ping] = receiver.at('/hook');
    expect(ping!.headers['x-wfhub-signature']).toBe(expectedSignature(secret, ping!.raw));
    expect(await item.getByLabel('Last delivery: delivered').textContent()).toBe('delivered 200');

    const log = item.getByRole('list', { name: 'Delivery log' });
    const line = log.getByRole('listitem', { name: `Delivery ${ping!.body.id}: ping, delivered` });
    await line.locator('summary').click();
    expect(await line.getByLabel('Request body').textContent()).toContain('"event": "ping"');
    expect(await line.getByLabel('Response excerpt').textContent()).toBe('ok');
    expect(await line.getByLabel('Status code').textContent()).toBe('200');
    await page.screenshot({ path: screenshotPath('webhooks-log'), fullPage: true });

    await line.getByRole('button', { name: 'Redeliver' }).click();
    await expect.poll(() => log.getByRole('listitem').count()).toBe(2);
    expect(receiver.at('/hook')).toHaveLength(2);
    expect(await log.getByRole('listitem').first().textContent()).toContain('ping');
  });
});
