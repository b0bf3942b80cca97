import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FakeOllama } from '../fakes/fake-ollama.js';
import { screenshotPath } from '../helpers/browser.js';
import { startBrowserHub, type BrowserHub } from '../helpers/browser-hub.js';
import type { TestHub } from '../helpers/test-hub.js';

describe('the web UI in Chromium: usage, models and model traffic', () => {
  let setup: BrowserHub | undefined;
  let ollama: FakeOllama;
  let hub: TestHub;
  let page: Page;
  let base: string;
  let projectId: number;
  let taskId: number;
  let runId: number;

  beforeAll(async () => {
    setup = await startBrowserHub(
      {},
      {
        runs: true,
        prepare: (fake) => {
          fake.pullable = { 'qwen3:4b': 2_500_000_000, 'qwen2.5-coder:7b': 4_700_000_000 };
          // Slow enough to watch the bar move.
          fake.pullStepMs = 150;
        },
      },
    );
    ({ ollama, hub, page, base } = setup);
    projectId = (await hub.call('POST', '/projects', { name: 'Metered', workspace_path: 'metered' })).body.id;
    taskId = (await hub.call('POST', '/tasks', { project_id: projectId, title: 'Write a note', description: 'Put the word tallyho in note.txt.' })).body.id;
  });
  afterAll(async () => {
    await setup?.close();
  });

  const usage = () => page.getByRole('dialog', { name: 'Usage' });
  const models = () => page.getByRole('dialog', { name: 'Models' });
  const stat = (scope: ReturnType<Page['getByRole']>, label: string) => scope.locator('dt', { hasText: new RegExp(`^${label}$`) }).locator('+ dd');
  /** A fresh page (a goto changing only the hash would keep what a failed test left open). */
  const openBoard = async () => {
    await page.goto('about:blank');
    await page.goto(`${base}/#/projects/${projectId}`);
  };
  const isFocused = (locator: ReturnType<Page['getByRole']>) => locator.evaluate((element) => element === element.ownerDocument.activeElement);

  it('sums the run’s calls in the Usage view, by model and by project, with links to what they were for', async () => {
    // Before any call: the view says so.
    await openBoard();
    const opener = page.getByRole('button', { name: 'Usage', exact: true });
    await opener.click();
    await usage().getByText('No calls to the model server in the last 7 days.').waitFor();
    await usage().getByLabel('Period').selectOption('all');
    await usage().getByText('No calls to the model server yet.').waitFor();
    await usage().getByLabel('Period').selectOption('week');
    await usage().getByRole('button', { name: 'Close the usage' }).click();
    await expect.poll(() => usage().count()).toBe(0);

    ollama.script(
      { toolCalls: [{ name: 'write', arguments: { path: 'note.txt', content: 'tallyho\n' } }], promptTokens: 1200, completionTokens: 30 },
      { text: 'Wrote note.txt with the word.', promptTokens: 1600, completionTokens: 8 },
    );
    const run = (await hub.call('POST', `/tasks/${taskId}/trigger?wait=true`)).body;
    expect(run.status).toBe('succeeded');
    runId = run.id;
    // The calls are recorded once they have ended, a moment after the run.
    await vi.waitFor(async () => expect((await hub.call('GET', `/usage?run_id=${runId}`)).body.totals.completion_tokens).toBe(38), { timeout: 10_000 });

    await opener.click();
    await usage().waitFor();
    expect(await isFocused(usage().getByLabel('Period'))).toBe(true);
    expect(await usage().getByLabel('Period').inputValue()).toBe('week');
    const totals = usage().getByRole('region', { name: /^Totals/ });
    await expect.poll(() => stat(totals, 'Prompt tokens').textContent()).toBe('2,800');
    expect(await stat(totals, 'Completion tokens').textContent()).toBe('38');
    expect(Number(await stat(totals, 'Calls').textContent())).toBeGreaterThanOrEqual(2);
    expect(await stat(totals, 'Failed calls').textContent()).toBe('0');
    expect(await stat(totals, 'Average call').textContent()).toMatch(/^\d+ ms$|^\d+\.\d s$/);
    expect(await stat(totals, 'Speed').textContent()).toMatch(/ tok\/s$/);

    // A real table: the model's row, headed by its name, with its tokens.
    const table = usage().getByRole('table', { name: /^By model, last 7 days/ });
    const row = table.getByRole('row', { name: /qwen2\.5-coder:3b/ });
    await row.waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells.slice(2, 4)).toEqual(['2,800', '38']);
    expect(await table.getByRole('columnheader').allTextContents()).toEqual(['Model', 'Calls', 'Failed', 'Prompt tokens', 'Completion tokens', 'Average call', 'Speed', 'Last call']);
    await page.screenshot({ path: screenshotPath('usage'), fullPage: true });

    await usage().getByRole('tab', { name: 'By project' }).click();
    const byProject = usage().getByRole('table', { name: /^By project/ });
    const projectRow = byProject.getByRole('row', { name: /Metered/ });
    await projectRow.waitFor();
    expect((await projectRow.getByRole('cell').allTextContents()).slice(2, 4)).toEqual(['2,800', '38']);
    expect(await projectRow.getByRole('link', { name: 'Metered' }).getAttribute('href')).toBe(`#/projects/${projectId}`);

    // By run, linked to the run (its task and project found from its calls); following it closes the view.
    await usage().getByRole('tab', { name: 'By project' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    expect(await usage().getByRole('tab', { name: 'By task' }).getAttribute('aria-selected')).toBe('false');
    await usage().getByRole('tab', { name: 'By run' }).click();
    const runLink = usage().getByRole('link', { name: new RegExp(`^Run #${runId}`) });
    await expect.poll(() => runLink.getAttribute('href')).toBe(`#/projects/${projectId}/tasks/${taskId}/runs/${runId}`);
    await runLink.click();
    await expect.poll(() => usage().count()).toBe(0);
    expect(page.url()).toContain(`#/projects/${projectId}/tasks/${taskId}/runs/${runId}`);
    // The run view tells its calls and their speed too.
    const runView = page.getByRole('region', { name: `Run #${runId}` });
    await expect.poll(() => runView.getByLabel('Model calls').textContent()).toMatch(/^\d+$/);
    expect(await runView.getByLabel('Speed').textContent()).toMatch(/ tok\/s$/);

    // Esc closes it, the focus back on its button; an empty period says so.
    await opener.click();
    await usage().waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => usage().count()).toBe(0);
    expect(await isFocused(opener)).toBe(true);
    // The run view is still there: Esc was the dialog's only.
    expect(page.url()).toContain(`/runs/${runId}`);
  });

  it('lists the model server’s models and pulls one with a progress bar; an unknown model shows Ollama’s error', async () => {
    await openBoard();
    await page.getByRole('button', { name: /^Models/ }).click();
    await models().waitFor();
    expect(await isFocused(models().getByLabel('Model name'))).toBe(true);
    const list = models().getByRole('table', { name: 'Models on the model server' });
    const present = list.getByRole('row', { name: /qwen2\.5-coder:3b/ });
    await present.waitFor();
    expect(await present.getByRole('cell').allTextContents()).toEqual(['1.8 GB', '3.1B']);
    await expect.poll(() => present.textContent()).toContain('default');

    // The bar's value and maximum, sampled as the pull goes.
    await page.evaluate(`(() => {
      window.samples = [];
      setInterval(() => {
        const bar = document.querySelector('progress[aria-label="Pull progress"]');
        if (bar && bar.hasAttribute('value')) window.samples.push([bar.value, bar.max]);
      }, 20);
    })()`);
    await models().getByLabel('Model name').fill('qwen3:4b');
    await models().getByRole('button', { name: 'Pull', exact: true }).click();
    const bar = models().getByRole('progressbar', { name: 'Pull progress' });
    await bar.waitFor();
    await models().getByText(/^\d+(\.\d)? (MB|GB) of 2\.3 GB · \d+%$/).waitFor();
    // The header tells how far it is too.
    await page.getByRole('button', { name: /^Models · pulling/ }).waitFor();
    await page.screenshot({ path: screenshotPath('models-pull'), fullPage: true });
    await models().getByRole('status').filter({ hasText: 'Pulled qwen3:4b: it is ready to use.' }).waitFor();
    const samples = await page.evaluate<[number, number][]>('window.samples');
    const values = [...new Set(samples.map(([value]) => value))];
    expect(values.length).toBeGreaterThanOrEqual(2);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(values.some((value) => value > 0 && value < 2_500_000_000)).toBe(true);
    expect(samples.every(([, max]) => max === 2_500_000_000)).toBe(true);
    // The list and the header's model server status are read again.
    await list.getByRole('row', { name: /qwen3:4b/ }).waitFor();
    await expect.poll(() => page.getByRole('status', { name: 'Model server' }).textContent()).toContain('qwen3:4b');
    expect(await models().getByLabel('Model name').inputValue()).toBe('');

    await models().getByLabel('Model name').fill('nosuch-model:1b');
    await models().getByRole('button', { name: 'Pull', exact: true }).click();
    expect(await models().getByRole('alert').textContent()).toMatch(/^Could not pull nosuch-model:1b: .*file does not exist/);
    // A name the server refuses before asking Ollama: its message.
    await models().getByLabel('Model name').fill('no spaces please');
    await models().getByRole('button', { name: 'Pull', exact: true }).click();
    await expect.poll(() => models().getByRole('alert').textContent()).toMatch(/^Could not pull no spaces please: .*model name/);

    // Cancel stops the pull (a slow one, so it is still going when Cancel is pressed).
    ollama.pullStepMs = 2000;
    await models().getByLabel('Model name').fill('qwen2.5-coder:7b');
    await models().getByRole('button', { name: 'Pull', exact: true }).click();
    await models().getByText(/ of 4\.4 GB · /).waitFor();
    await models().getByRole('button', { name: 'Cancel' }).click();
    await models().getByRole('status').filter({ hasText: /^Stopped pulling qwen2\.5-coder:7b\./ }).waitFor();
    expect(await bar.count()).toBe(0);

    await page.keyboard.press('Escape');
    await expect.poll(() => models().count()).toBe(0);
    expect(await isFocused(page.getByRole('button', { name: /^Models/ }))).toBe(true);
  });

  it("opens a chat call in the Logs panel's Model traffic tab: the prompt sent, the answer, the way to the run", async () => {
    await openBoard();
    await page.getByRole('button', { name: 'Logs', exact: true }).click();
    const panel = page.getByRole('region', { name: 'Logs' });
    await panel.getByRole('tab', { name: /^Model traffic \d+$/ }).click();
    // The summary is matched, not the whole entry: once open, the entry holds the call too.
    const entry = panel
      .getByRole('tabpanel')
      .locator(':scope > li')
      .filter({ has: page.locator('summary', { hasText: new RegExp(`^\\S+ info POST /api/chat qwen2\\.5-coder:3b 200 in [\\d.]+ m?s \\(1200 \\+ 30 tokens(, [\\d.]+ tok/s)?\\) · run ${runId}$`) }) });
    await entry.locator('summary').click();
    const request = entry.getByRole('region', { name: 'Request' });
    await expect.poll(() => request.textContent(), { timeout: 10_000 }).toContain('Put the word tallyho in note.txt.');
    expect(await request.getByRole('list', { name: 'Messages' }).locator(':scope > li').count()).toBeGreaterThanOrEqual(2);
    const answer = entry.getByRole('region', { name: 'Answer' });
    // The tool call the model answered with, and Ollama's final line with its counts.
    expect(await answer.textContent()).toContain('"path": "note.txt"');
    expect(await answer.textContent()).toContain('"eval_count": 30');
    expect(await entry.getByRole('link', { name: `Open run #${runId}` }).getAttribute('href')).toBe(`#/projects/${projectId}/tasks/${taskId}/runs/${runId}`);
    // The second call's answer is its text.
    const second = panel.getByRole('tabpanel').locator(':scope > li').filter({ hasText: /\(1600 \+ 8 tokens/ });
    await second.locator('summary').click();
    await expect.poll(() => second.getByRole('region', { name: 'Answer' }).locator('.call-content').textContent()).toBe('Wrote note.txt with the word.');
    await page.screenshot({ path: screenshotPath('logs-model-call'), fullPage: true });
  });
});
