import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeOllama } from '../fakes/fake-ollama.js';
import { screenshotPath } from '../helpers/browser.js';
import { startBrowserHub, type BrowserHub } from '../helpers/browser-hub.js';
import type { TestHub } from '../helpers/test-hub.js';

/** A 2×2 PNG, red. */
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64');

describe('the web UI in Chromium: the task editor and runs', () => {
  let setup: BrowserHub | undefined;
  let ollama: FakeOllama;
  let hub: TestHub;
  let page: Page;
  let base: string;
  let projectId: number;
  let taskId: number;

  beforeAll(async () => {
    setup = await startBrowserHub({ gitUserName: 'Hub Bot', gitUserEmail: 'bot@example.com' }, { runs: true, context: { acceptDownloads: true } });
    ({ ollama, hub, page, base } = setup);
    projectId = (await hub.call('POST', '/projects', { name: 'Shop', workspace_path: 'shop' })).body.id;
    taskId = (await hub.call('POST', '/tasks', { project_id: projectId, title: 'Greet the visitor', acceptance_criteria: ['hello.py prints hello'] })).body.id;
  });
  afterAll(async () => {
    await setup?.close();
  });

  const editor = () => page.getByRole('dialog', { name: /^Task:/ });

  it('opens a task from its card, saves its fields, and closes with Esc, focus back on the card', async () => {
    await page.goto(`${base}/#/projects/${projectId}`);
    await page.getByRole('button', { name: 'Greet the visitor', exact: true }).click();
    await editor().waitFor();
    expect(page.url()).toMatch(new RegExp(`#/projects/${projectId}/tasks/${taskId}$`));
    const fields = editor().getByRole('form', { name: 'Task fields' });
    const save = fields.getByRole('button', { name: 'Save' });
    expect(await save.isDisabled()).toBe(true);
    await fields.getByLabel('Title').fill('Greet the visitor by name');
    await fields.getByLabel('Description').fill('Write hello.py');
    await fields.getByLabel('Priority').selectOption('high');
    await fields.getByLabel('Role').selectOption({ label: 'dev' });
    await save.click();
    await fields.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect((await hub.call('GET', `/tasks/${taskId}`)).body).toMatchObject({
      title: 'Greet the visitor by name',
      description: 'Write hello.py',
      priority: 'high',
      node_name: 'dev',
    });
    await page.getByRole('button', { name: 'Greet the visitor by name', exact: true }).waitFor();

    const card = page.getByRole('button', { name: 'Greet the visitor by name', exact: true });
    await page.keyboard.press('Escape');
    await expect.poll(() => editor().count()).toBe(0);
    expect(page.url()).toMatch(new RegExp(`#/projects/${projectId}$`));
    expect(await card.evaluate((element) => element.ownerDocument.activeElement?.textContent)).toBe('Greet the visitor by name');
    await page.goBack();
    await editor().waitFor();
  });

  it('keeps what the user is typing when the task changes elsewhere, and shows the rest', async () => {
    const fields = editor().getByRole('form', { name: 'Task fields' });
    await fields.getByLabel('Description').fill('Write hello.py, then test it');
    await hub.call('PATCH', `/tasks/${taskId}`, { priority: 'urgent' });
    await expect.poll(() => fields.getByLabel('Priority').inputValue()).toBe('urgent');
    expect(await fields.getByLabel('Description').inputValue()).toBe('Write hello.py, then test it');
    await fields.getByRole('button', { name: 'Discard changes' }).click();
    expect(await fields.getByLabel('Description').inputValue()).toBe('Write hello.py');
  });

  it('ticks, adds and deletes acceptance criteria', async () => {
    const section = editor().getByRole('region', { name: 'Acceptance criteria' });
    await section.getByLabel('New criterion').fill('It exits with 0');
    await section.getByRole('button', { name: 'Add' }).click();
    await section.getByText('It exits with 0').waitFor();
    await section.getByRole('checkbox', { name: 'hello.py prints hello' }).check();
    await expect.poll(async () => (await hub.call('GET', `/tasks/${taskId}/acceptance-criteria`)).body.map((item: { text: string; done: boolean }) => [item.text, item.done])).toEqual([
      ['hello.py prints hello', true],
      ['It exits with 0', false],
    ]);
    expect(await section.getByRole('heading').textContent()).toContain('1/2');
    await section.getByRole('button', { name: 'Delete criterion: It exits with 0' }).click();
    await expect.poll(() => section.getByText('It exits with 0').count()).toBe(0);
    expect((await hub.call('GET', `/tasks/${taskId}/acceptance-criteria`)).body).toHaveLength(1);
  });

  it('adds a subtask with its criterion, and opens it', async () => {
    const section = editor().getByRole('region', { name: 'Subtasks' });
    await section.getByLabel('Subtask title').fill('Add a --name flag');
    expect(await section.getByRole('button', { name: 'Add' }).isDisabled()).toBe(true);
    await section.getByLabel('Subtask criterion').fill('--name Ada prints hello Ada');
    await section.getByRole('button', { name: 'Add' }).click();
    await section.getByRole('link', { name: 'Add a --name flag' }).click();
    await expect.poll(() => editor().getAttribute('aria-label')).toBe('Task: Add a --name flag');
    const subtask = (await hub.call('GET', `/projects/${projectId}/tasks?parent=${taskId}`)).body[0];
    expect((await hub.call('GET', `/tasks/${subtask.id}/acceptance-criteria`)).body.map((item: { text: string }) => item.text)).toEqual(['--name Ada prints hello Ada']);
    await editor().getByRole('link', { name: `#${taskId}` }).click();
    await expect.poll(() => editor().getAttribute('aria-label')).toBe('Task: Greet the visitor by name');
  });

  it('adds, edits and deletes comments', async () => {
    const section = editor().getByRole('region', { name: 'Comments' });
    await section.getByLabel('New comment').fill('Use print, not logging');
    await section.getByRole('button', { name: 'Comment' }).click();
    const comment = section.getByRole('listitem', { name: 'Comment by user' });
    await comment.getByText('Use print, not logging').waitFor();
    const [saved] = (await hub.call('GET', `/tasks/${taskId}/comments`)).body;
    await comment.getByRole('button', { name: `Edit comment ${saved.id}` }).click();
    await comment.getByLabel('Comment text').fill('Use print() only');
    // Esc leaves the edit, not the task.
    await page.keyboard.press('Escape');
    expect(await editor().count()).toBe(1);
    expect(await comment.getByText('Use print, not logging').isVisible()).toBe(true);
    await comment.getByRole('button', { name: `Edit comment ${saved.id}` }).click();
    await comment.getByLabel('Comment text').fill('Use print() only');
    await comment.getByRole('button', { name: 'Save' }).click();
    await comment.getByText('Use print() only').waitFor();
    expect((await hub.call('GET', `/tasks/${taskId}/comments`)).body[0].body).toBe('Use print() only');
    page.once('dialog', (dialog) => void dialog.accept());
    await comment.getByRole('button', { name: `Delete comment ${saved.id}` }).click();
    await expect.poll(async () => (await hub.call('GET', `/tasks/${taskId}/comments`)).body).toEqual([]);
    await expect.poll(() => section.getByRole('listitem').count()).toBe(0);
  });

  it('uploads files, previews an image, downloads and deletes them', async () => {
    const section = editor().getByRole('region', { name: 'Attachments' });
    await section.getByLabel('Add files').setInputFiles([
      { name: 'mockup.png', mimeType: 'image/png', buffer: png },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('say hello\n') },
    ]);
    await section.getByText('notes.txt').waitFor();
    const image = section.getByRole('img', { name: 'mockup.png' });
    await expect.poll(() => image.evaluate((element) => (element as unknown as { complete: boolean; naturalWidth: number }).complete && (element as unknown as { naturalWidth: number }).naturalWidth)).toBe(2);
    const [download] = await Promise.all([page.waitForEvent('download'), section.getByRole('button', { name: 'Download notes.txt' }).click()]);
    expect(download.suggestedFilename()).toBe('notes.txt');
    expect(readFileSync(await download.path()).toString()).toBe('say hello\n');
    page.once('dialog', (dialog) => void dialog.accept());
    await section.getByRole('button', { name: 'Delete notes.txt' }).click();
    await expect.poll(() => section.getByText('notes.txt').count()).toBe(0);
    expect((await hub.call('GET', `/tasks/${taskId}/attachments`)).body.map((item: { file_name: string }) => item.file_name)).toEqual(['mockup.png']);
  });

  it('previews the prompt a run would send', async () => {
    const runs = editor().getByRole('region', { name: 'Runs' });
    await runs.getByRole('button', { name: 'Preview prompt' }).click();
    const preview = runs.getByRole('region', { name: 'Prompt preview' });
    await preview.waitFor();
    expect(await preview.textContent()).toContain('qwen2.5-coder:3b');
    expect(await preview.locator('pre').last().textContent()).toContain('Greet the visitor by name');
    expect(await preview.locator('pre').last().textContent()).toContain('hello.py prints hello');
    await preview.getByRole('button', { name: 'Close the prompt preview' }).click();
  });

  it('runs the task and shows it live: streamed text, tool calls, steps, tokens; then the diff and the summary comment', async () => {
    ollama.script(
      { text: 'I will write hello.py that prints a greeting.', chunkSize: 4, chunkDelayMs: 60, promptTokens: 900, completionTokens: 40, toolCalls: [{ name: 'write', arguments: { path: 'hello.py', content: 'def main():\n    print("hello")\n\nmain()\n' } }] },
      { firstByteDelayMs: 1500, toolCalls: [{ name: 'finish', arguments: { summary: 'Wrote hello.py, which prints hello.' } }], promptTokens: 1000, completionTokens: 20 },
    );
    const runs = editor().getByRole('region', { name: 'Runs' });
    await runs.getByLabel('Model').selectOption('qwen2.5-coder:3b');
    await runs.getByRole('button', { name: 'Run', exact: true }).click();
    const view = editor().getByRole('region', { name: /^Run #\d+$/ });
    await view.waitFor();
    // The image attached earlier goes to the vision model, which this server has not pulled: said, not hidden.
    await view.getByText(/mockup\.png could not be described by .*ollama pull/).waitFor();
    expect(page.url()).toMatch(new RegExp(`#/projects/${projectId}/tasks/${taskId}/runs/\\d+$`));
    // While it runs the Run button cannot start another.
    await expect.poll(() => runs.getByRole('button', { name: /^Run #\d+ is (queued|running)$/ }).isDisabled()).toBe(true);
    const transcript = view.getByRole('list', { name: 'Transcript' });
    // The text arrives piece by piece: seen part-written before it is whole.
    await expect.poll(() => transcript.locator('.assistant').first().textContent(), { interval: 20 }).toMatch(/^I will w(?!rite hello\.py that prints a greeting\.)/);
    await transcript.getByText('I will write hello.py that prints a greeting.').waitFor();
    const call = view.getByRole('listitem', { name: 'Tool call write' });
    await call.getByText('ok ·').waitFor();
    expect(await call.locator('summary').textContent()).toContain('hello.py');
    await call.locator('summary').click();
    // A file's content shows as it is, not as an escaped JSON string.
    expect(await call.locator('.tool-args pre').last().textContent()).toBe('def main():\n    print("hello")\n\nmain()\n');
    await page.screenshot({ path: screenshotPath('run-live'), fullPage: true });

    await expect.poll(() => view.getByRole('status', { name: 'Run status' }).textContent(), { timeout: 15_000 }).toBe('succeeded');
    expect(await view.getByLabel('Steps').textContent()).toBe('2');
    expect(await view.getByLabel('Tokens').textContent()).toBe((900 + 40 + 1000 + 20).toLocaleString('en-US'));
    expect(await view.getByLabel('Elapsed').textContent()).toMatch(/^\d+ s$/);
    expect(await view.getByRole('region', { name: 'Summary' }).textContent()).toContain('Wrote hello.py, which prints hello.');
    const diff = view.getByRole('region', { name: 'Diff' });
    await diff.getByText('hello.py (new)').waitFor();
    // The code is highlighted as Python: `def` is a keyword.
    expect(await diff.locator('.diff-add .hljs-keyword').first().textContent()).toBe('def');
    const comments = editor().getByRole('region', { name: 'Comments' });
    await comments.getByRole('listitem', { name: 'Comment by wfhub' }).waitFor();
    expect(await comments.getByRole('listitem', { name: 'Comment by wfhub' }).textContent()).toContain('Wrote hello.py');
    expect(await runs.getByRole('button', { name: 'Run', exact: true }).isEnabled()).toBe(true);
    await page.screenshot({ path: screenshotPath('run-diff'), fullPage: true });
  });

  it('undoes the run: the file it wrote is gone', async () => {
    const file = path.join(hub.dir, 'workspaces', 'shop', 'hello.py');
    expect(existsSync(file)).toBe(true);
    const view = editor().getByRole('region', { name: /^Run #\d+$/ });
    page.once('dialog', (dialog) => void dialog.accept());
    await view.getByRole('button', { name: 'Undo run' }).click();
    await view.getByText('Undone').waitFor();
    expect(existsSync(file)).toBe(false);
  });

  it('cancels a running run', async () => {
    ollama.script({ kind: 'hang', when: 'before-headers' });
    const runs = editor().getByRole('region', { name: 'Runs' });
    await runs.getByRole('button', { name: 'Run', exact: true }).click();
    const view = editor().getByRole('region', { name: /^Run #\d+$/ });
    await expect.poll(() => view.getByRole('status', { name: 'Run status' }).textContent()).toBe('running');
    await view.getByRole('button', { name: 'Cancel run' }).click();
    await expect.poll(() => view.getByRole('status', { name: 'Run status' }).textContent()).toBe('cancelled');
    expect(await runs.getByRole('list', { name: 'Runs of the task' }).getByRole('listitem').count()).toBe(2);
    await expect.poll(async () => (await hub.call('GET', `/tasks/${taskId}`)).body.status).toBe('todo');
  });

  it('works on a phone-sized screen: the board stacks, and a run can be checked', async () => {
    const [first] = (await hub.call('GET', `/tasks/${taskId}/runs`)).body.sort((a: { id: number }, b: { id: number }) => a.id - b.id);
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${base}/#/projects/${projectId}`);
      await page.reload();
      const columns = page.locator('.board section.column');
      await columns.first().waitFor();
      // One column under the other, and nothing wider than the screen.
      const [top, next] = await Promise.all([columns.nth(0).boundingBox(), columns.nth(1).boundingBox()]);
      expect(next!.y).toBeGreaterThanOrEqual(top!.y + top!.height);
      await page.screenshot({ path: screenshotPath('phone-board'), fullPage: true });
      expect(top!.width).toBeLessThanOrEqual(390);
      const fits = () => page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');
      expect(await fits()).toBe(true);

      await page.goto(`${base}/#/projects/${projectId}/tasks/${taskId}/runs/${first.id}`);
      const view = editor().getByRole('region', { name: `Run #${first.id}` });
      await view.waitFor();
      await expect.poll(() => view.getByRole('status', { name: 'Run status' }).textContent()).toBe('succeeded');
      const box = await view.boundingBox();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(390);
      expect(await fits()).toBe(true);
      await page.screenshot({ path: screenshotPath('phone-run'), fullPage: true });
    } finally {
      await page.setViewportSize({ width: 1280, height: 720 });
    }
  });
});
