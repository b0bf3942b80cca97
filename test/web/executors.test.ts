import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshotPath } from '../helpers/browser.js';
import { startBrowserHub, type BrowserHub } from '../helpers/browser-hub.js';
import type { TestHub } from '../helpers/test-hub.js';

const fakes = path.resolve('test/fakes/cli');

describe('the web UI in Chromium: handing a run to a coding agent', () => {
  let setup: BrowserHub | undefined;
  let hub: TestHub;
  let page: Page;
  let base: string;
  let projectId: number;
  let taskId: number;
  const originalPath = process.env.PATH;

  beforeAll(async () => {
    // Codex and Claude Code are "installed" (fakes speaking their formats); the others are not.
    process.env.PATH = `${path.join(fakes, 'some')}:${originalPath}`;
    setup = await startBrowserHub({ gitUserName: 'Hub Bot', gitUserEmail: 'bot@example.com' }, { runs: true });
    ({ hub, page, base } = setup);
    projectId = (await hub.call('POST', '/projects', { name: 'Agents', workspace_path: 'agents' })).body.id;
    taskId = (await hub.call('POST', '/tasks', { project_id: projectId, title: 'Write the file' })).body.id;
  });
  afterAll(async () => {
    process.env.PATH = originalPath;
    await setup?.close();
  });

  it('runs a task with the executor chosen and shows its run like any other: transcript, tool calls, diff', async () => {
    await page.goto(`${base}/#/projects/${projectId}/tasks/${taskId}`);
    const editor = page.getByRole('dialog', { name: /^Task:/ });
    const runs = editor.getByRole('region', { name: 'Runs' });
    const executor = runs.getByLabel('Executor');
    await expect.poll(() => executor.locator('option').allTextContents()).toEqual([
      "the role's, the project's or wfhub's agent",
      "wfhub's agent",
      'Aider (not installed)',
      'Claude Code (2.0.14 (Claude Code))',
      'Codex CLI (codex-cli 0.46.0)',
      'OpenCode (not installed)',
      'Gemini CLI (not installed)',
    ]);
    expect(await executor.locator('option', { hasText: 'Aider' }).isDisabled()).toBe(true);
    await executor.selectOption('codex');
    await runs.getByRole('button', { name: 'Run', exact: true }).click();
    const view = editor.getByRole('region', { name: /^Run #\d+$/ });
    await expect.poll(() => view.getByRole('status', { name: 'Run status' }).textContent()).toBe('succeeded');
    expect(await view.getByLabel('Executor').textContent()).toBe('codex');
    await view.getByRole('list', { name: 'Transcript' }).getByText('Wrote fake-codex.txt.').first().waitFor();
    await view.getByRole('listitem', { name: 'Tool call shell' }).waitFor();
    await view.getByRole('listitem', { name: 'Tool call edit' }).waitFor();
    await view.getByText('+written by fake codex').waitFor();
    expect(await runs.getByRole('list', { name: 'Runs of the task' }).textContent()).toContain('codex ·');
    await page.screenshot({ path: screenshotPath('run-with-codex'), fullPage: true });
  });

  it("sets a project's executor in its settings", async () => {
    await page.goto(`${base}/#/projects/${projectId}`);
    await page.getByRole('link', { name: 'Edit project Agents' }).click();
    const settings = page.getByRole('dialog', { name: 'Project settings' });
    await settings.waitFor();
    await expect.poll(() => settings.getByLabel('Executor').locator('option').count()).toBe(6);
    await settings.getByLabel('Executor').selectOption('claude');
    await settings.getByRole('button', { name: 'Save' }).click();
    await settings.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect((await hub.call('GET', `/projects/${projectId}`)).body.settings.executor).toBe('claude');
    const run = (await hub.call('POST', `/tasks/${taskId}/trigger?wait=true`, {})).body;
    expect(run).toMatchObject({ executor: 'claude', status: 'succeeded' });
  });
});
