import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGithub } from '../fakes/fake-github.js';
import { screenshotPath } from '../helpers/browser.js';
import { startBrowserHub, type BrowserHub } from '../helpers/browser-hub.js';
import type { TestHub } from '../helpers/test-hub.js';

const token = 'ghp_0123456789abcdefghijklmnopqrstuvwxyz';
const wrongToken = 'ghp_0123456789abcdefghijklmnopqrstuWRONG1';

describe('the web UI in Chromium: importing from GitHub Issues and syncing back', () => {
  let setup: BrowserHub | undefined;
  let fake: FakeGithub;
  let hub: TestHub;
  let page: Page;
  let base: string;
  let shopId: number;
  let docsId: number;
  /** While set, the fake holds its answer for issue 5 until this settles: the import is seen half done. */
  let holdIssue5: Promise<void> | undefined;

  beforeAll(async () => {
    // 24 issues and 3 pull requests (which are not tasks) in acme/shop, among ten repositories.
    fake = new FakeGithub(token).addRepo('acme/shop', { issues: 24, pulls: 3 });
    for (let index = 1; index <= 9; index++) fake.addRepo(`acme/lib-${index}`, { issues: 1 });
    const faked = fake as unknown as { handle(request: IncomingMessage, response: ServerResponse): Promise<void> };
    const handle = faked.handle.bind(fake);
    faked.handle = async (request, response) => {
      if (holdIssue5 && request.method === 'GET' && /\/repos\/acme\/shop\/issues\/5$/.test(new URL(request.url ?? '/', 'http://fake').pathname)) await holdIssue5;
      return handle(request, response);
    };
    await fake.start();
    setup = await startBrowserHub();
    ({ hub, page, base } = setup);
    // Status changes and comments go back to the tracker as `wfhub serve` pushes them.
    hub.services.trackerSync.start();
    shopId = (await hub.call('POST', '/projects', { name: 'Shop', workspace_path: 'shop' })).body.id;
    docsId = (await hub.call('POST', '/projects', { name: 'Docs', workspace_path: 'docs' })).body.id;
  });
  afterAll(async () => {
    await setup?.close();
    await fake?.stop();
  });

  const wizard = () => page.getByRole('dialog', { name: 'Import tasks' });
  const editor = () => page.getByRole('dialog', { name: /^Task:/ });
  const focused = () => page.locator('body').evaluate((body) => body.ownerDocument.activeElement?.textContent ?? null);
  const issue = (number: number) => fake.repos.get('acme/shop')!.issues.find((item) => item.number === number)!;

  it('walks the wizard: GitHub, a refused token then the right one, the repository, the project, a few tasks, and the import', async () => {
    // The tracker's own words when it refuses the token, as the API answers them.
    const refused = await hub.call('POST', '/integrations/credentials', { provider: 'github', token: wrongToken, base_url: fake.url });
    expect(refused.status).toBe(422);
    const refusal: string = refused.body.error.message;

    // Opened from the Docs board.
    await page.goto(`${base}/#/projects/${docsId}`);
    await page.getByRole('link', { name: 'Import', exact: true }).click();
    await wizard().waitFor();
    expect(page.url()).toMatch(new RegExp(`#/projects/${docsId}/import$`));
    await expect.poll(focused).toBe('Where are the tasks?');

    // 1. The tracker.
    const radios = wizard().getByRole('radio');
    await expect.poll(() => radios.count()).toBe(4);
    for (const name of ['Asana', 'Jira Cloud', 'Linear', 'GitHub Issues']) expect(await wizard().getByRole('radio', { name: new RegExp(name) }).count()).toBe(1);
    expect(await wizard().getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    await wizard().getByRole('radio', { name: /GitHub Issues/ }).check();
    await wizard().getByRole('button', { name: 'Next' }).click();

    // 2. A token: none kept yet, so the form; the tracker refuses a wrong one, with its reason.
    await wizard().getByRole('heading', { name: 'Sign in to GitHub Issues' }).waitFor();
    await expect.poll(focused).toBe('Sign in to GitHub Issues');
    const tokenField = wizard().getByLabel('Token', { exact: true });
    expect(await tokenField.getAttribute('type')).toBe('password');
    const help = await tokenField.evaluate((element) => element.ownerDocument.getElementById(element.getAttribute('aria-describedby') ?? '')?.textContent);
    expect(help).toContain('Personal access tokens');
    expect(await wizard().getByLabel('Account email').count()).toBe(0);
    const baseUrl = wizard().getByLabel('Base URL (optional)');
    expect(await baseUrl.getAttribute('required')).toBeNull();
    await baseUrl.fill(fake.url);
    await tokenField.fill(wrongToken);
    await wizard().getByRole('button', { name: 'Connect' }).click();
    await expect.poll(() => wizard().getByRole('alert').textContent()).toBe(refusal);
    await page.screenshot({ path: screenshotPath('import-token') });
    expect((await hub.call('GET', '/integrations/credentials')).body).toEqual([]);
    await tokenField.fill(token);
    expect(await wizard().getByRole('alert').count()).toBe(0);
    await wizard().getByRole('button', { name: 'Connect' }).click();

    // 3. The repository, found with the filter (ten are too many to scan).
    await wizard().getByRole('heading', { name: 'Which repository?' }).waitFor();
    const [credential] = (await hub.call('GET', '/integrations/credentials')).body;
    expect(credential).toMatchObject({ provider: 'github', account: 'octocat', base_url: fake.url });
    await expect.poll(() => radios.count()).toBe(10);
    // Back a step: the token is kept, and picked.
    await wizard().getByRole('button', { name: 'Back' }).click();
    await wizard().getByRole('heading', { name: 'Sign in to GitHub Issues' }).waitFor();
    expect(await wizard().getByRole('radio', { name: /octocat/ }).isChecked()).toBe(true);
    expect(await wizard().getByLabel('Token', { exact: true }).count()).toBe(0);
    await wizard().getByRole('button', { name: 'Next' }).click();
    await wizard().getByRole('heading', { name: 'Which repository?' }).waitFor();
    await expect.poll(() => radios.count()).toBe(10);
    await wizard().getByLabel('Filter repositories').fill('shop');
    await expect.poll(() => radios.count()).toBe(1);
    await wizard().getByRole('radio', { name: 'acme/shop' }).check();
    await wizard().getByRole('button', { name: 'Next' }).click();

    // 4. The wfhub project: the one it was opened from, unless another is picked.
    const target = wizard().getByRole('combobox', { name: /^wfhub project/ });
    await target.waitFor();
    await expect.poll(() => target.inputValue()).toBe(String(docsId));
    // Back and on again: the repository is kept.
    await wizard().getByRole('button', { name: 'Back' }).click();
    await wizard().getByRole('heading', { name: 'Which repository?' }).waitFor();
    await expect.poll(() => wizard().getByRole('radio', { name: 'acme/shop' }).isChecked()).toBe(true);
    await wizard().getByRole('button', { name: 'Next' }).click();
    await target.waitFor();
    await target.selectOption({ label: 'Shop' });
    await wizard().getByRole('button', { name: 'Next' }).click();

    // 5. The tasks: the 24 issues, none imported yet.
    await wizard().getByRole('heading', { name: 'Which tasks?' }).waitFor();
    expect((await hub.call('GET', `/integrations/mappings?project_id=${shopId}`)).body).toMatchObject([{ provider: 'github', external_project_name: 'acme/shop', linked_tasks: 0 }]);
    const list = wizard().getByRole('list', { name: 'Tracker tasks' });
    const boxes = list.getByRole('checkbox');
    const selected = wizard().getByRole('status');
    await expect.poll(() => boxes.count()).toBe(24);
    expect(await list.getByText('imported', { exact: true }).count()).toBe(0);
    expect(await wizard().getByRole('button', { name: /^Import \d+ tasks?$/ }).isDisabled()).toBe(true);
    await wizard().getByRole('button', { name: 'Select all' }).click();
    expect(await selected.textContent()).toBe('24 of 24 selected');
    await wizard().getByRole('button', { name: 'Select none' }).click();
    expect(await selected.textContent()).toBe('0 of 24 selected');
    // Select all takes what the filter shows.
    const filter = wizard().getByRole('searchbox', { name: 'Filter tasks' });
    await filter.fill('Issue 1');
    await expect.poll(() => boxes.count()).toBeLessThan(24);
    const matching = await boxes.count();
    expect(matching).toBeGreaterThan(1);
    await wizard().getByRole('button', { name: 'Select all' }).click();
    expect(await selected.textContent()).toBe(`${matching} of 24 selected`);
    await wizard().getByRole('button', { name: 'Select none' }).click();
    await filter.fill('');
    await expect.poll(() => boxes.count()).toBe(24);
    for (const number of [2, 3, 5]) await list.getByRole('checkbox', { name: `Issue ${number}`, exact: true }).check();
    expect(await selected.textContent()).toBe('3 of 24 selected');
    await page.screenshot({ path: screenshotPath('import-tasks') });

    // 6. The import, followed as it goes: the fake holds issue 5 a while.
    let release!: () => void;
    holdIssue5 = new Promise<void>((resolve) => (release = resolve));
    await wizard().getByRole('button', { name: 'Import 3 tasks' }).click();
    await wizard().getByRole('heading', { name: 'Importing from GitHub Issues…' }).waitFor();
    const bar = wizard().getByRole('progressbar', { name: 'Import progress' });
    await expect.poll(() => bar.getAttribute('value')).toBe('2');
    expect(await bar.getAttribute('max')).toBe('3');
    expect(await wizard().getByText('2 of 3 tasks').count()).toBe(1);
    await page.screenshot({ path: screenshotPath('import-progress') });
    release();
    await wizard().getByRole('heading', { name: 'Imported' }).waitFor();
    holdIssue5 = undefined;
    expect(await bar.getAttribute('value')).toBe('3');
    const result = wizard().getByRole('status');
    expect(await result.textContent()).toMatch(/Created\s*3\s*Updated\s*0\s*Unchanged\s*0\s*Failed\s*0/);
    await page.screenshot({ path: screenshotPath('import-result') });
    const imported = (await hub.call('GET', `/projects/${shopId}/tasks`)).body;
    expect(imported.map((task: { title: string }) => task.title).sort()).toEqual(['Issue 2', 'Issue 3', 'Issue 5']);
    expect((await hub.call('GET', `/projects/${docsId}/tasks`)).body).toEqual([]);

    // Those imported are marked; importing one again updates it with what changed on GitHub.
    issue(2).title = 'Greet visitors by name';
    await wizard().getByRole('button', { name: 'Import more' }).click();
    await wizard().getByRole('heading', { name: 'Which tasks?' }).waitFor();
    const renamed = list.getByRole('listitem').filter({ has: page.getByRole('checkbox', { name: 'Greet visitors by name', exact: true }) });
    await renamed.waitFor();
    expect(await renamed.getByText('imported', { exact: true }).count()).toBe(1);
    expect(await list.getByText('imported', { exact: true }).count()).toBe(3);
    expect(await list.getByRole('listitem').filter({ has: page.getByRole('checkbox', { name: 'Issue 4', exact: true }) }).getByText('imported', { exact: true }).count()).toBe(0);
    await renamed.getByRole('checkbox').check();
    await wizard().getByText('One of them was imported before', { exact: false }).waitFor();
    await wizard().getByRole('button', { name: 'Import 1 task' }).click();
    await wizard().getByRole('heading', { name: 'Imported' }).waitFor();
    expect(await wizard().getByRole('status').textContent()).toMatch(/Created\s*0\s*Updated\s*1\s*Unchanged\s*0\s*Failed\s*0/);

    // On to the board of the project the tasks went into.
    await wizard().getByRole('link', { name: 'Open the board' }).click();
    await expect.poll(() => wizard().count()).toBe(0);
    expect(page.url()).toMatch(new RegExp(`#/projects/${shopId}$`));
    for (const title of ['Greet visitors by name', 'Issue 3', 'Issue 5']) await page.getByRole('button', { name: title, exact: true }).waitFor();
  });

  it("shows an imported task's tracker, and its status change reaches GitHub", async () => {
    await page.getByRole('button', { name: 'Issue 3', exact: true }).click();
    await editor().waitFor();
    const tracker = editor().getByRole('region', { name: 'Tracker' });
    await tracker.waitFor();
    expect(await tracker.innerText()).toContain('GitHub Issues');
    const link = tracker.getByRole('link', { name: 'acme/shop#3', exact: true });
    expect(await link.getAttribute('href')).toBe('https://github.com/acme/shop/issues/3');
    const state = tracker.getByRole('status');
    await expect.poll(() => state.textContent()).toBe('Sync: synced');
    expect(await tracker.getByRole('button', { name: 'Retry now' }).count()).toBe(0);
    await page.screenshot({ path: screenshotPath('task-tracker') });

    const fields = editor().getByRole('form', { name: 'Task fields' });
    await fields.getByLabel('Status').selectOption('done');
    await fields.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => issue(3).state).toBe('closed');
    expect(issue(3).state_reason).toBe('completed');
    await expect.poll(() => state.textContent()).toBe('Sync: synced');
  });

  it('shows a push GitHub refused, with its error and next attempt, and retries it now', async () => {
    const tracker = editor().getByRole('region', { name: 'Tracker' });
    const state = tracker.getByRole('status');
    fake.rateLimitNext(600);
    const fields = editor().getByRole('form', { name: 'Task fields' });
    await fields.getByLabel('Status').selectOption('in_progress');
    await fields.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => state.textContent()).toBe('Sync: failed');
    expect(await tracker.innerText()).toMatch(/rate limit[\s\S]*next attempt/i);
    expect(issue(3).state).toBe('closed');
    await tracker.getByRole('button', { name: 'Retry now' }).click();
    await expect.poll(() => state.textContent()).toBe('Sync: synced');
    expect(issue(3).state).toBe('open');
    expect(await tracker.getByText(/rate limit/i).count()).toBe(0);
  });

  it("lists the project's trackers in its settings and opens the wizard from there, by keyboard, with the token kept", async () => {
    await page.goto(`${base}/#/projects/${shopId}/settings`);
    const trackers = page.getByRole('dialog', { name: 'Project settings' }).getByRole('region', { name: 'Trackers' });
    await trackers.getByText('acme/shop').waitFor();
    await expect.poll(() => trackers.innerText()).toContain('GitHub Issues · 3 tasks');
    await trackers.getByRole('link', { name: 'Import from a tracker' }).click();
    await wizard().waitFor();
    await expect.poll(focused).toBe('Where are the tasks?');
    await wizard().getByRole('radio').first().waitFor();
    // From the heading: into the radio group, round to its last (GitHub Issues), then Next.
    await page.keyboard.press('Tab');
    await page.keyboard.press('ArrowUp');
    expect(await wizard().getByRole('radio', { name: /GitHub Issues/ }).isChecked()).toBe(true);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await wizard().getByRole('heading', { name: 'Sign in to GitHub Issues' }).waitFor();
    expect(await wizard().getByRole('radio', { name: /octocat/ }).isChecked()).toBe(true);
    expect(await wizard().getByLabel('Token', { exact: true }).count()).toBe(0);
    await wizard().getByRole('radio', { name: 'A new token' }).check();
    await wizard().getByLabel('Token', { exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => wizard().count()).toBe(0);
    expect(page.url()).toMatch(new RegExp(`#/projects/${shopId}$`));

    // From the board's Import link, and back to it on Esc.
    const open = page.getByRole('link', { name: 'Import', exact: true });
    await open.click();
    await wizard().waitFor();
    await expect.poll(focused).toBe('Where are the tasks?');
    await page.keyboard.press('Escape');
    await expect.poll(() => wizard().count()).toBe(0);
    await expect.poll(focused).toBe('Import');
  });
});
