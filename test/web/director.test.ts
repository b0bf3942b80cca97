import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeOllama } from '../fakes/fake-ollama.js';
import type { ScriptedReply } from '../fakes/scripted-reply.js';
import { screenshotPath } from '../helpers/browser.js';
import { startBrowserHub, type BrowserHub } from '../helpers/browser-hub.js';
import type { TestHub } from '../helpers/test-hub.js';

const write = (file: string, content: string): ScriptedReply => ({ toolCalls: [{ name: 'write', arguments: { path: file, content } }] });
const finish = (summary: string): ScriptedReply => ({ toolCalls: [{ name: 'finish', arguments: { summary } }] });

describe('the web UI in Chromium: the director', () => {
  let setup: BrowserHub | undefined;
  let ollama: FakeOllama;
  let hub: TestHub;
  let page: Page;
  let base: string;
  let projectId: number;
  let taskId: number;

  beforeAll(async () => {
    setup = await startBrowserHub({}, { runs: true });
    ({ ollama, hub, page, base } = setup);
    hub.services.director.start();
    projectId = (await hub.call('POST', '/projects', { name: 'Greeter', workspace_path: 'greeter' })).body.id;
    // One round through dev and qa: the first failing gate blocks the task.
    expect((await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['dev', 'qa'], max_attempts: 1 })).status).toBe(200);
    taskId = (
      await hub.call('POST', '/tasks', {
        project_id: projectId,
        title: 'Greet with hello',
        acceptance_criteria: [{ text: 'greeting.js says hello', check: 'grep -q hello greeting.js' }],
      })
    ).body.id;
  });
  afterAll(async () => {
    await setup?.close();
  });

  const editor = () => page.getByRole('dialog', { name: /^Task:/ });
  const card = (id: number) => page.locator(`.board [data-task-id="${id}"]`);
  const pipelineOf = async (id: number) => (await hub.call('GET', `/tasks/${id}/pipeline`)).body;

  it('turns autopilot on from the editor; the card shows the stages, the blocked state and the gate that failed', async () => {
    ollama.script(write('greeting.js', "module.exports = 'hi';\n"), finish('Wrote greeting.js.'), finish('It says hi.\nVERDICT: FAIL'));
    await page.goto(`${base}/#/projects/${projectId}/tasks/${taskId}`);
    const section = editor().getByRole('region', { name: 'Pipeline' });
    // Before autopilot, the stages it would go through.
    await section.getByText('dev → qa').waitFor();
    const autopilot = section.getByRole('switch', { name: 'Autopilot' });
    expect(await autopilot.isChecked()).toBe(false);
    await autopilot.check();
    await expect.poll(async () => (await hub.call('GET', `/tasks/${taskId}`)).body.autopilot).toBe(true);

    const strip = card(taskId).getByRole('group', { name: 'Pipeline of Greet with hello' });
    await strip.getByText('qa failed: greeting.js says hello').waitFor({ timeout: 30_000 });
    expect(await pipelineOf(taskId)).toMatchObject({ state: 'blocked', node: 'qa', attempt: 1, max_attempts: 1 });
    expect(await strip.getByRole('img', { name: 'On autopilot' }).count()).toBe(1);
    expect(await strip.getByRole('listitem').evaluateAll((items) => items.map((item) => item.getAttribute('aria-label')))).toEqual(['dev: passed', 'qa: blocked']);
    const state = strip.getByText('blocked', { exact: true });
    expect(await state.getAttribute('title')).toContain('attempt 1 of 1');
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 1800, height: 800 });
    try {
      await page.screenshot({ path: screenshotPath('director-board'), fullPage: true });
    } finally {
      await page.setViewportSize({ width: 1280, height: 720 });
    }

    // The switch is kept: read again, it is on.
    await page.goto(`${base}/#/projects/${projectId}/tasks/${taskId}`);
    await page.reload();
    expect(await editor().getByRole('switch', { name: 'Autopilot' }).isChecked()).toBe(true);
  });

  it("shows the pipeline in the editor: the attempt, the reason and the failed gate's evidence", async () => {
    const section = editor().getByRole('region', { name: 'Pipeline' });
    expect(await section.getByRole('status', { name: 'Pipeline state' }).textContent()).toBe('blocked');
    expect(await section.locator('.pipeline-attempt').textContent()).toBe('attempt 1 of 1');
    expect(await section.locator('.pipeline-reason').textContent()).toContain('attempt 1 of 1');
    const failure = section.getByRole('region', { name: 'Last failure' });
    const gate = failure.getByRole('listitem', { name: 'Gate greeting.js says hello: failed' });
    expect(await gate.locator('.gate-check').textContent()).toBe('grep -q hello greeting.js');
    expect(await gate.locator('.gate-evidence').textContent()).toMatch(/^exit 1 · [\d.]+ m?s$/);
    // A failed gate's output is open to read.
    expect(await gate.locator('details').getAttribute('open')).not.toBeNull();
    await section.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('director-pipeline'), fullPage: true });

    const criteria = editor().getByRole('region', { name: 'Acceptance criteria' });
    expect(await criteria.getByText(/a command run in the workspace, e\.g\. npm test, or a URL probed for a 2xx answer/).count()).toBe(1);
    expect(await criteria.getByText('check failed', { exact: true }).count()).toBe(1);
  });

  it("shows a run's gates in its transcript and its verdict in the runs list", async () => {
    const qaRun = (await pipelineOf(taskId)).failure.run_id as number;
    await editor().getByRole('region', { name: 'Pipeline' }).getByRole('link', { name: `Run #${qaRun} (qa)`, exact: true }).click();
    const view = editor().getByRole('region', { name: `Run #${qaRun}` });
    await view.waitFor();
    const gate = view.getByRole('list', { name: 'Transcript' }).getByRole('listitem', { name: 'Gate greeting.js says hello: failed' });
    await gate.waitFor();
    // The gate ran before the model: it is the transcript's first line.
    expect(await view.getByRole('list', { name: 'Transcript' }).getByRole('listitem').first().getAttribute('aria-label')).toBe('Gate greeting.js says hello: failed');
    expect(await gate.locator('.badge').textContent()).toBe('fail');
    expect(await view.locator('.run-head').getByText('verdict: fail').count()).toBe(1);
    const listed = editor().getByRole('list', { name: 'Runs of the task' }).getByRole('listitem').filter({ has: page.getByRole('link', { name: `Run #${qaRun}`, exact: true }) });
    expect(await listed.getByText('verdict: fail').count()).toBe(1);
    await view.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('director-gates'), fullPage: true });
  });

  it('overrides the block: the form wants a name and a reason, then the task is done', async () => {
    await page.goto(`${base}/#/projects/${projectId}/tasks/${taskId}`);
    const section = editor().getByRole('region', { name: 'Pipeline' });
    await section.getByRole('button', { name: 'Override: mark done' }).click();
    const form = section.getByRole('form', { name: 'Override: mark done' });
    const submit = form.getByRole('button', { name: 'Mark done' });
    expect(await submit.isDisabled()).toBe(true);
    await form.getByLabel('Your name').fill('Ada');
    expect(await submit.isDisabled()).toBe(true);
    await form.getByLabel('Reason').fill('Greeting checked by hand.');
    await submit.click();
    await expect.poll(async () => (await hub.call('GET', `/tasks/${taskId}`)).body.status).toBe('done');
    expect(await pipelineOf(taskId)).toMatchObject({ state: 'overridden', override: { by: 'Ada', reason: 'Greeting checked by hand.' } });
    await card(taskId).getByText('overridden by Ada').waitFor();
    await section.locator('.pipeline-reason').filter({ hasText: 'Marked done by Ada: Greeting checked by hand.' }).waitFor();
    // The name is remembered for the next time.
    expect(await page.evaluate<string | null>("localStorage.getItem('wfhub.override-by')")).toBe('Ada');
  });

  it('gives criteria checks: with a new criterion, then edited and removed in place', async () => {
    const criteria = editor().getByRole('region', { name: 'Acceptance criteria' });
    await criteria.getByLabel('New criterion').fill('The page answers');
    await criteria.getByLabel('Check (optional)').fill('http://127.0.0.1:9/health');
    await criteria.getByRole('button', { name: 'Add', exact: true }).click();
    await criteria.getByText('http://127.0.0.1:9/health').waitFor();
    const added = async () => ((await hub.call('GET', `/tasks/${taskId}/acceptance-criteria`)).body as { text: string; check: string | null }[]).find((item) => item.text === 'The page answers');
    expect(await added()).toMatchObject({ check: 'http://127.0.0.1:9/health' });

    await criteria.getByRole('button', { name: 'Edit the check of: The page answers' }).click();
    await criteria.getByRole('textbox', { name: 'Check of: The page answers' }).fill('npm test');
    await criteria.getByRole('form', { name: 'Check of: The page answers' }).getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await added())?.check).toBe('npm test');
    await criteria.getByRole('button', { name: 'Edit the check of: The page answers' }).click();
    await criteria.getByRole('textbox', { name: 'Check of: The page answers' }).fill('');
    await criteria.getByRole('form', { name: 'Check of: The page answers' }).getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await added())?.check).toBeNull();
    await criteria.getByRole('button', { name: 'Set a check of: The page answers' }).waitFor();
  });

  it('saves what a task waits for, and shows the refusal of a cycle', async () => {
    const docs = (await hub.call('POST', '/tasks', { project_id: projectId, title: 'Write the docs' })).body.id as number;
    const ship = (await hub.call('POST', '/tasks', { project_id: projectId, title: 'Ship it' })).body.id as number;
    await page.goto(`${base}/#/projects/${projectId}/tasks/${ship}`);
    const section = editor().getByRole('region', { name: 'Blocked by' });
    await section.getByLabel('Blocking task').fill(`#${docs}`);
    await section.getByRole('button', { name: 'Add' }).click();
    await section.getByRole('link', { name: `#${docs} Write the docs` }).waitFor();
    expect((await hub.call('GET', `/tasks/${ship}`)).body.blocked_by).toEqual([docs]);
    expect(await section.getByRole('listitem').locator('.badge').textContent()).toBe('todo');

    // The docs cannot wait for what waits for them.
    await page.goto(`${base}/#/projects/${projectId}/tasks/${docs}`);
    const other = editor().getByRole('region', { name: 'Blocked by' });
    await other.getByLabel('Blocking task').fill('Ship it');
    await other.getByRole('button', { name: 'Add' }).click();
    expect(await other.getByRole('alert').textContent()).toContain('cycle');
    expect((await hub.call('GET', `/tasks/${docs}`)).body.blocked_by).toEqual([]);

    await page.goto(`${base}/#/projects/${projectId}/tasks/${ship}`);
    await editor().getByRole('region', { name: 'Blocked by' }).getByRole('button', { name: `Remove blocker #${docs}` }).click();
    await expect.poll(async () => (await hub.call('GET', `/tasks/${ship}`)).body.blocked_by).toEqual([]);
  });

  it("edits the project's pipeline: reorders and saves it, shows the server's refusals, resets it", async () => {
    const reviewer = (await hub.call('POST', '/nodes', { name: 'reviewer', directive: 'Review the change.' })).body.id as number;
    await page.goto(`${base}/#/projects/${projectId}/settings`);
    // The roles are read afresh, the new one with them.
    await page.reload();
    const section = page.getByRole('dialog', { name: 'Project settings' }).getByRole('region', { name: 'Pipeline' });
    await section.getByText('Pipeline', { exact: true }).click();
    const form = section.getByRole('form', { name: 'Pipeline settings' });
    const roles = form.getByRole('list', { name: 'Roles in order' });
    const names = () => roles.locator('.role-name').allTextContents();
    expect(await names()).toEqual(['dev', 'qa']);
    await form.getByLabel('Role to add').selectOption('documentation');
    await form.getByRole('button', { name: 'Add role' }).click();
    await form.getByRole('button', { name: 'Move documentation up' }).click();
    expect(await names()).toEqual(['dev', 'documentation', 'qa']);
    await form.getByLabel('Max attempts').fill('2');
    await page.screenshot({ path: screenshotPath('director-settings'), fullPage: true });
    await form.getByRole('button', { name: 'Save pipeline' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect((await hub.call('GET', `/projects/${projectId}/pipeline`)).body).toMatchObject({ nodes: ['dev', 'documentation', 'qa'], max_attempts: 2, is_default: false });

    // Out of range: the server's words.
    await form.getByLabel('Max attempts').fill('0');
    await form.getByRole('button', { name: 'Save pipeline' }).click();
    await form.getByRole('alert').waitFor();
    await form.getByLabel('Max attempts').fill('2');

    // A role deleted meanwhile is refused, and the message names the roles there are.
    await form.getByLabel('Role to add').selectOption('reviewer');
    await form.getByRole('button', { name: 'Add role' }).click();
    expect((await hub.call('DELETE', `/nodes/${reviewer}`)).status).toBe(204);
    await form.getByRole('button', { name: 'Save pipeline' }).click();
    expect(await form.getByRole('alert').textContent()).toContain('The roles are:');
    expect((await hub.call('GET', `/projects/${projectId}/pipeline`)).body.nodes).toEqual(['dev', 'documentation', 'qa']);

    await form.getByRole('button', { name: 'Reset to default' }).click();
    await expect.poll(async () => (await hub.call('GET', `/projects/${projectId}/pipeline`)).body).toMatchObject({ nodes: ['dev', 'qa', 'documentation'], max_attempts: 3, check_timeout_seconds: 300 });
    await expect.poll(() => names()).toEqual(['dev', 'qa', 'documentation']);
    expect(await form.getByRole('alert').count()).toBe(0);
  });
});
