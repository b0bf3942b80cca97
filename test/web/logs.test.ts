import type { Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeOllama } from '../fakes/fake-ollama.js';
import { screenshotPath } from '../helpers/browser.js';
import { startBrowserHub, type BrowserHub } from '../helpers/browser-hub.js';
import { LogOutput } from '../helpers/log-output.js';
import type { TestHub } from '../helpers/test-hub.js';

describe('the web UI in Chromium: the Logs panel', () => {
  let setup: BrowserHub | undefined;
  let ollama: FakeOllama;
  let hub: TestHub;
  let page: Page;
  let base: string;
  let projectId: number;
  /** Every /ws/logs socket the page opened. */
  const logSockets: string[] = [];
  /** While true, the page's /ws/logs sockets are refused (closed as soon as they open). */
  let refuseSockets = false;

  beforeAll(async () => {
    setup = await startBrowserHub({}, { runs: true, serverLog: new LogOutput() });
    ({ ollama, hub, page, base } = setup);
    projectId = (await hub.call('POST', '/projects', { name: 'Logged', workspace_path: 'logged' })).body.id;
    await page.routeWebSocket(/\/ws\/logs/, (socket: WebSocketRoute) => {
      logSockets.push(socket.url());
      if (refuseSockets) socket.close({ code: 1011, reason: 'refused by the test' });
      else socket.connectToServer();
    });
  });
  afterAll(async () => {
    await setup?.close();
  });

  const panel = () => page.getByRole('region', { name: 'Logs' });
  const entries = () => panel().getByRole('tabpanel');
  const tab = (name: string) => panel().getByRole('tab', { name: new RegExp(`^${name} \\d+$`) });
  const isFocused = (locator: ReturnType<Page['getByRole']>) => locator.evaluate((element) => element === element.ownerDocument.activeElement);

  it("opens from the header on the server's log, live, and shows the requests it answers", async () => {
    await page.goto(`${base}/#/projects/${projectId}`);
    await page.getByRole('button', { name: 'Logs', exact: true }).click();
    await panel().waitFor();
    await expect.poll(() => panel().getByRole('status', { name: 'Log feed' }).textContent()).toBe('Live');
    expect(await tab('Server').getAttribute('aria-selected')).toBe('true');
    expect(await isFocused(tab('Server'))).toBe(true);
    // What the page asked for on loading is there already; what is asked now arrives live.
    await entries().getByText(`GET /projects/${projectId}/tasks`).first().waitFor();
    const marker = `/tasks?live-marker=${Date.now()}`;
    await hub.call('GET', marker);
    await entries().getByText(`GET ${marker}: incoming request`, { exact: true }).waitFor();
    await entries().getByText(new RegExp(`^GET ${marker.replace(/[?]/g, '\\?')} → \\d{3} in \\d+ ms$`)).waitFor();
  });

  it("shows a run's lifecycle and its model traffic in their tabs, over the one socket", async () => {
    const task = (await hub.call('POST', '/tasks', { project_id: projectId, title: 'Write a note' })).body;
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'note.txt', content: 'logged\n' } }], promptTokens: 120, completionTokens: 30 }, { text: 'Wrote note.txt.', promptTokens: 160, completionTokens: 8 });
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`)).body;
    expect(run.status).toBe('succeeded');

    await tab('Runs').click();
    await entries().getByText(new RegExp(`^run ${run.id} of task ${task.id} succeeded`)).waitFor();
    expect(await entries().getByText(new RegExp(`^run ${run.id} of task ${task.id} queued`)).count()).toBe(1);
    // From the keyboard: the arrows move between tabs, as tabs do.
    await tab('Runs').focus();
    await page.keyboard.press('ArrowLeft');
    expect(await tab('Model traffic').getAttribute('aria-selected')).toBe('true');
    expect(await isFocused(tab('Model traffic'))).toBe(true);
    // One line per HTTP call to the model server, with its status, time, tokens and run.
    await entries().getByText(new RegExp(`^POST /api/chat qwen2\\.5-coder:3b 200 in [\\d.]+ m?s \\(120 \\+ 30 tokens.*\\) · run ${run.id}$`)).waitFor();
    // An entry's details open under it: the call's request and answer, read from the server.
    const call = entries().locator(':scope > li').filter({ hasText: '(160 + 8 tokens' });
    await call.locator('summary').click();
    await expect.poll(() => call.getByRole('region', { name: 'Answer' }).textContent()).toContain('Wrote note.txt.');
    await page.screenshot({ path: screenshotPath('logs'), fullPage: true });

    await tab('Server').click();
    await entries().getByText(new RegExp(`^POST /tasks/${task.id}/trigger\\?wait=true → 200 in \\d+ ms$`)).waitFor();
    // Three tabs, one socket.
    expect(logSockets).toHaveLength(1);
  });

  it('filters the shown tab by text and by level', async () => {
    await tab('Server').click();
    const filter = panel().getByLabel('Filter the log');
    await filter.fill('no entry says this');
    await entries().getByText('No entry matches the filter.').waitFor();
    await filter.fill('');
    expect(await entries().locator('li').count()).toBeGreaterThan(2);
    // A request's completion says which request it was, with its status.
    expect((await hub.call('GET', '/tasks/999999')).status).toBe(404);
    await entries().getByText(/^GET \/tasks\/999999 → 404 in \d+ ms$/).waitFor();
    // Only warnings and errors: the server's warning stays, the requests (info) go.
    hub.services.logs.append('server', 'warn', 'the disk is nearly full');
    await entries().getByText('the disk is nearly full').waitFor();
    await panel().getByLabel('Lowest level shown').selectOption('warn');
    await expect.poll(async () => entries().locator('.level').allTextContents()).toEqual(['warn']);
    await panel().getByLabel('Lowest level shown').selectOption('debug');
    expect(await entries().locator('li').count()).toBeGreaterThan(2);
  });

  it('keeps showing new entries by polling when the socket fails, and goes live again when it is back', async () => {
    refuseSockets = true;
    await page.goto(`${base}/#/projects/${projectId}`);
    await page.reload();
    await page.getByRole('button', { name: 'Logs', exact: true }).waitFor();
    if ((await panel().count()) === 0) await page.getByRole('button', { name: 'Logs', exact: true }).click();
    await panel().waitFor();
    await expect.poll(() => panel().getByRole('status', { name: 'Log feed' }).textContent()).toBe('Polling (socket lost)');
    // The entries were read over HTTP instead.
    await tab('Server').click();
    const marker = `/tasks?polling-marker=${Date.now()}`;
    await hub.call('GET', marker);
    await entries().getByText(marker).first().waitFor({ timeout: 10_000 });

    refuseSockets = false;
    // Logged while the socket is coming back: read by the last poll or by the socket, not lost.
    const between = `/tasks?between-marker=${Date.now()}`;
    await hub.call('GET', between);
    await expect.poll(() => panel().getByRole('status', { name: 'Log feed' }).textContent(), { timeout: 20_000 }).toBe('Live');
    await entries().getByText(`GET ${between}: incoming request`, { exact: true }).waitFor();
    expect(await entries().getByText(`GET ${between}: incoming request`, { exact: true }).count()).toBe(1);
    // It resumed after the last entry it had: nothing shown twice.
    expect(await entries().getByText(`GET ${marker}: incoming request`, { exact: true }).count()).toBe(1);
    const later = `/tasks?live-marker=${Date.now()}`;
    await hub.call('GET', later);
    await entries().getByText(later).first().waitFor();
    expect(await entries().getByText(`GET ${marker}: incoming request`, { exact: true }).count()).toBe(1);
  });

  it('remembers that it was open and on which tab, and closes with Esc, focus back on its button', async () => {
    await tab('Runs').click();
    await page.reload();
    await panel().waitFor();
    expect(await tab('Runs').getAttribute('aria-selected')).toBe('true');
    // Open from the last visit, it leaves the focus where the page puts it.
    expect(await panel().evaluate((element) => element.contains(element.ownerDocument.activeElement))).toBe(false);
    await tab('Runs').focus();
    await page.keyboard.press('Escape');
    await expect.poll(() => panel().count()).toBe(0);
    expect(await isFocused(page.getByRole('button', { name: 'Logs', exact: true }))).toBe(true);
    expect(await page.getByRole('button', { name: 'Logs', exact: true }).getAttribute('aria-pressed')).toBe('false');
    await page.reload();
    await page.getByRole('button', { name: 'Logs', exact: true }).waitFor();
    expect(await panel().count()).toBe(0);
  });
});
