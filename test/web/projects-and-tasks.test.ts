import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dragOnto, screenshotPath } from '../helpers/browser.js';
import { startBrowserHub, type BrowserHub } from '../helpers/browser-hub.js';
import type { TestHub } from '../helpers/test-hub.js';

describe('the web UI in Chromium: projects and tasks', () => {
  let setup: BrowserHub | undefined;
  let hub: TestHub;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    setup = await startBrowserHub();
    ({ hub, browser, page, base } = setup);
  });
  afterAll(async () => {
    await setup?.close();
  });

  it('shows that the model server is ready and which models it has', async () => {
    await page.goto(base);
    const status = page.getByRole('status', { name: 'Model server' });
    await expect.poll(() => status.textContent()).toContain('Model server ready');
    expect(await status.textContent()).toContain('qwen2.5-coder:3b');
    expect(await page.getByText('No projects yet').isVisible()).toBe(true);
  });

  it('adds a project, which the sidebar shows and selects', async () => {
    await page.getByLabel('Name').fill('My Shop');
    expect(await page.getByLabel('Folder').getAttribute('placeholder')).toBe('my-shop');
    await page.getByRole('button', { name: 'Add project' }).click();
    const entry = page.getByRole('button', { name: 'My Shop', exact: true });
    await entry.waitFor();
    expect(await entry.getAttribute('aria-current')).toBe('page');
    expect(page.url()).toMatch(/#\/projects\/\d+$/);
    const projects = (await hub.call('GET', '/projects')).body;
    expect(projects).toMatchObject([{ name: 'My Shop', workspace_path: 'my-shop' }]);
  });

  it('says what is wrong when a project cannot be added, and adds nothing', async () => {
    await page.getByLabel('Name').fill('My Shop');
    await page.getByLabel('Folder').fill('my-shop');
    await page.getByRole('button', { name: 'Add project' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/already/i);
    expect((await hub.call('GET', '/projects')).body).toHaveLength(1);
    // Typing again clears the old complaint.
    await page.getByLabel('Name').fill('');
    await page.getByLabel('Folder').fill('');
    expect(await page.getByRole('alert').count()).toBe(0);
  });

  it('adds a task with its acceptance criteria to the selected project', async () => {
    const form = page.getByRole('form', { name: 'New task' });
    const add = form.getByRole('button', { name: 'Add task' });
    await form.getByLabel('Title').fill('Show the cart total');
    expect(await add.isDisabled()).toBe(true); // criteria are required
    await form.getByLabel('Acceptance criteria').fill('The total is shown\nIt updates when an item is removed\n');
    await add.click();
    await page.getByRole('region', { name: 'todo (1)' }).getByText('Show the cart total', { exact: true }).waitFor();
    const [task] = (await hub.call('GET', `/projects/${(await hub.call('GET', '/projects')).body[0].id}/tasks`)).body;
    const criteria = (await hub.call('GET', `/tasks/${task.id}/acceptance-criteria`)).body;
    expect(criteria.map((criterion: { text: string }) => criterion.text)).toEqual(['The total is shown', 'It updates when an item is removed']);
    await page.screenshot({ path: screenshotPath('projects-and-tasks'), fullPage: true });
  });

  it('moves a card to another column by dragging it, and by its status menu', async () => {
    const projectId = (await hub.call('GET', '/projects')).body[0].id;
    const [task] = (await hub.call('GET', `/projects/${projectId}/tasks`)).body;
    await dragOnto(page, page.locator(`[data-task-id="${task.id}"]`), page.getByRole('region', { name: 'in progress (0)' }));
    await page.getByRole('region', { name: 'in progress (1)' }).getByText('Show the cart total', { exact: true }).waitFor();
    await expect.poll(async () => (await hub.call('GET', `/tasks/${task.id}`)).body.status).toBe('in_progress');

    await page.getByLabel('Status of Show the cart total').selectOption('review');
    await page.getByRole('region', { name: 'review (1)' }).getByText('Show the cart total', { exact: true }).waitFor();
    await expect.poll(async () => (await hub.call('GET', `/tasks/${task.id}`)).body.status).toBe('review');
    await page.screenshot({ path: screenshotPath('board'), fullPage: true });
  });

  it('orders cards within a column by where they are dropped, and keeps the order', async () => {
    const projectId = (await hub.call('GET', '/projects')).body[0].id;
    const first = (await hub.call('POST', '/tasks', { project_id: projectId, title: 'First', status: 'review' })).body;
    const second = (await hub.call('POST', '/tasks', { project_id: projectId, title: 'Second', status: 'review' })).body;
    await page.reload();
    const column = page.getByRole('region', { name: 'review (3)' });
    await column.waitFor();
    await dragOnto(page, page.locator(`[data-task-id="${second.id}"]`), page.locator(`[data-task-id="${first.id}"]`));
    const order = async () => (await column.locator('.card .title').allTextContents()).map((title) => title.trim());
    await expect.poll(order).toEqual(['Show the cart total', 'Second', 'First']);
    await page.reload();
    await column.waitFor();
    expect(await order()).toEqual(['Show the cart total', 'Second', 'First']);
  });

  it('moves a card from the keyboard: arrows browse the status menu, Enter applies it, Alt+arrows reorder', async () => {
    const projectId = (await hub.call('GET', '/projects')).body[0].id;
    const task = (await hub.call('POST', '/tasks', { project_id: projectId, title: 'Keyboard card', status: 'todo' })).body;
    await page.reload();
    const menu = page.getByLabel('Status of Keyboard card');
    await menu.focus();
    // Browsing passes over in progress and stops on review; nothing is saved on the way.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect((await hub.call('GET', `/tasks/${task.id}`)).body.status).toBe('todo');
    await page.keyboard.press('Enter');
    await page.getByRole('region', { name: /^review/ }).getByText('Keyboard card', { exact: true }).waitFor();
    await expect.poll(async () => (await hub.call('GET', `/tasks/${task.id}`)).body.status).toBe('review');
    // Focus followed the card into its new column.
    await expect.poll(() => page.getByLabel('Status of Keyboard card').evaluate((element) => element === element.ownerDocument.activeElement)).toBe(true);

    const column = page.getByRole('region', { name: /^review/ });
    const order = async () => (await column.locator('.card .title').allTextContents()).map((title) => title.trim());
    const before = await order();
    expect(before.at(-1)).toBe('Keyboard card');
    await column.getByRole('button', { name: 'Keyboard card', exact: true }).focus();
    await page.keyboard.press('Alt+ArrowUp');
    await expect.poll(order).toEqual([...before.slice(0, -2), 'Keyboard card', before.at(-2)]);
    await page.keyboard.press('Alt+ArrowRight');
    await page.getByRole('region', { name: /^done/ }).getByText('Keyboard card', { exact: true }).waitFor();
    await expect.poll(async () => (await hub.call('GET', `/tasks/${task.id}`)).body.status).toBe('done');
    expect(await page.getByRole('button', { name: 'Keyboard card', exact: true }).evaluate((element) => element === element.ownerDocument.activeElement)).toBe(true);
    await page.reload();
    await page.getByRole('region', { name: /^done/ }).getByText('Keyboard card', { exact: true }).waitFor();
    await hub.call('DELETE', `/tasks/${task.id}`);
  });

  it('filters by text and status, and lists subtasks under their parent', async () => {
    const projectId = (await hub.call('GET', '/projects')).body[0].id;
    const [parent] = (await hub.call('GET', `/projects/${projectId}/tasks?q=cart`)).body;
    await hub.call('POST', '/tasks', { project_id: projectId, parent_id: parent.id, title: 'Add the total row' });
    await page.reload();
    await page.locator('.card').first().waitFor();
    await page.keyboard.press('/');
    expect(await page.getByLabel('Search tasks').evaluate((element) => element === element.ownerDocument.activeElement)).toBe(true);
    await page.keyboard.type('second');
    await expect.poll(() => page.locator('.card').count()).toBe(1);
    expect(await page.getByRole('heading', { name: /Tasks/ }).textContent()).toContain('1 of 4');
    await page.getByLabel('Search tasks').fill('');
    await page.getByLabel('Status filter').selectOption('todo');
    await expect.poll(() => page.locator('.card .title').allTextContents()).toEqual([`#${parent.id} › Add the total row`]);
    await page.getByLabel('Status filter').selectOption('');

    await page.getByRole('button', { name: 'List' }).click();
    const subtasks = page.getByRole('list', { name: 'Subtasks of Show the cart total' });
    expect(await subtasks.getByText('Add the total row').isVisible()).toBe(true);
    await page.screenshot({ path: screenshotPath('list'), fullPage: true });
    await page.reload();
    expect(await page.getByRole('button', { name: 'List' }).getAttribute('aria-pressed')).toBe('true');
    await page.getByRole('button', { name: 'Board' }).click();
  });

  it('shows at once what another client changes, without a reload', async () => {
    await expect.poll(() => page.getByRole('status', { name: 'Live updates' }).textContent()).toBe('Live');
    const projectId = (await hub.call('GET', '/projects')).body[0].id;
    const added = (await hub.call('POST', '/tasks', { project_id: projectId, title: 'Added elsewhere' })).body;
    await page.getByRole('region', { name: /^todo/ }).getByText('Added elsewhere', { exact: true }).waitFor();
    await hub.call('PATCH', `/tasks/${added.id}`, { status: 'done' });
    await page.getByRole('region', { name: /^done/ }).getByText('Added elsewhere', { exact: true }).waitFor();
    await hub.call('POST', '/projects', { name: 'Second project', workspace_path: 'second' });
    await page.getByRole('button', { name: 'Second project', exact: true }).waitFor();
  });

  it('opens the project named in the address on a fresh load', async () => {
    const fresh = await browser.newPage();
    try {
      await fresh.goto(page.url());
      await fresh.getByText('Show the cart total', { exact: true }).waitFor();
      expect(await fresh.getByRole('button', { name: 'My Shop', exact: true }).getAttribute('aria-current')).toBe('page');
    } finally {
      await fresh.close();
    }
  });

  it("shows a project's facts on hover, and edits its name, environment and run settings", async () => {
    const [project] = (await hub.call('GET', '/projects')).body;
    await page.goto(`${base}/#/projects/${project.id}`);
    await page.getByRole('button', { name: 'My Shop', exact: true }).hover();
    const card = page.getByRole('tooltip');
    await card.waitFor();
    expect(await card.textContent()).toContain(project.workspace_dir);
    expect(await card.textContent()).toContain(`#${project.id}`);

    await page.getByRole('link', { name: 'Edit project My Shop' }).click();
    const settings = page.getByRole('dialog', { name: 'Project settings' });
    await settings.waitFor();
    await settings.getByLabel('Name').fill('My Web Shop');
    await settings.getByLabel('Steps per run').fill('30');
    await settings.getByLabel(/Environment/).fill('{"stack": "Django", broken');
    await settings.getByRole('button', { name: 'Save' }).click();
    expect(await settings.getByRole('alert').textContent()).toContain('JSON object');
    expect((await hub.call('GET', `/projects/${project.id}`)).body.name).toBe('My Shop');

    await settings.getByLabel(/Environment/).fill('{"stack": "Django"}');
    await settings.getByRole('button', { name: 'Save' }).click();
    await settings.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect((await hub.call('GET', `/projects/${project.id}`)).body).toMatchObject({ name: 'My Web Shop', environment: { stack: 'Django' }, settings: { max_steps: 30 } });
    await page.getByRole('button', { name: 'My Web Shop', exact: true }).waitFor();

    // An emptied field removes the setting; a refusal is shown and changes nothing.
    await settings.getByLabel('Steps per run').fill('');
    await settings.getByLabel('Git remote').fill('not a remote at all');
    await settings.getByRole('button', { name: 'Save' }).click();
    await settings.getByRole('alert').waitFor();
    expect((await hub.call('GET', `/projects/${project.id}`)).body.settings).toEqual({ max_steps: 30 });
    await settings.getByLabel('Git remote').fill('');
    await settings.getByRole('button', { name: 'Save' }).click();
    await settings.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect((await hub.call('GET', `/projects/${project.id}`)).body.settings).toEqual({});
    await page.screenshot({ path: screenshotPath('project-settings'), fullPage: true });
    await page.keyboard.press('Escape');
    await expect.poll(() => settings.count()).toBe(0);
  });

  it('leaves a project deleted elsewhere', async () => {
    const second = (await hub.call('GET', '/projects')).body.find((project: { name: string }) => project.name === 'Second project');
    await page.goto(`${base}/#/projects/${second.id}`);
    await page.getByRole('button', { name: 'Second project', exact: true }).waitFor();
    await hub.call('DELETE', `/projects/${second.id}`);
    await page.getByText('Pick a project, or add one.').waitFor();
    expect(page.url()).not.toContain(`/projects/${second.id}`);
  });

  it('switches between light and dark, and remembers the choice', async () => {
    const background = () => page.evaluate<string>(`getComputedStyle(document.body.parentElement).getPropertyValue('--bg').trim()`);
    await page.getByLabel('Theme').selectOption('dark');
    await expect.poll(background).toBe('#16161a');
    await page.screenshot({ path: screenshotPath('dark'), fullPage: true });
    await page.reload();
    await page.getByLabel('Theme').waitFor();
    expect(await background()).toBe('#16161a');
    expect(await page.getByLabel('Theme').inputValue()).toBe('dark');
    await page.getByLabel('Theme').selectOption('light');
    await expect.poll(background).toBe('#f7f7f8');
    // "System" follows the operating system's choice.
    await page.getByLabel('Theme').selectOption('system');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(background).toBe('#16161a');
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(background).toBe('#f7f7f8');
  });

  it('draws a long column a page at a time, more as the user scrolls or asks, and always the card in hand', async () => {
    const project = (await hub.call('POST', '/projects', { name: 'Big board', workspace_path: 'big-board' })).body;
    const titles = Array.from({ length: 150 }, (_, index) => `Long task ${index + 1}`);
    const ids: number[] = [];
    for (const title of titles) ids.push((await hub.call('POST', '/tasks', { project_id: project.id, title, status: 'in_progress' })).body.id);
    const mover = (await hub.call('POST', '/tasks', { project_id: project.id, title: 'Mover', status: 'todo' })).body;

    await page.goto(`${base}/#/projects/${project.id}`);
    const column = page.getByRole('region', { name: 'in progress (150)' });
    await column.waitFor();
    const drawn = () => column.locator('.card').count();
    expect(await drawn()).toBe(60);
    expect(await column.locator('.count').textContent()).toBe('150');
    const more = column.getByRole('button', { name: /^Show \d+ more of \d+$/ });
    expect(await more.textContent()).toBe('Show 60 more of 90');

    // Nearing the end of the drawn cards draws the next page.
    await column.locator('.card').last().scrollIntoViewIfNeeded();
    await expect.poll(drawn).toBe(120);
    expect(await column.locator('.card .title').nth(119).textContent()).toBe('Long task 120');

    // Asked for from the keyboard, the rest are drawn and focus goes to the first of them (focus
    // put on the button without scrolling: scrolling would bring the end near, which draws them by itself).
    await more.evaluate((element) => element.focus({ preventScroll: true }));
    await page.keyboard.press('Enter');
    await expect.poll(drawn).toBe(150);
    expect(await more.count()).toBe(0);
    expect(await column.locator('.card .title').nth(120).evaluate((element) => element === element.ownerDocument.activeElement)).toBe(true);

    // On a fresh load, the open task is drawn though it is far down its column.
    await page.goto(`${base}/#/projects/${project.id}/tasks/${ids[139]}`);
    await page.reload();
    await page.getByRole('dialog', { name: 'Task: Long task 140' }).waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('button', { name: 'Long task 140', exact: true }).evaluate((element) => element === element.ownerDocument.activeElement)).toBe(true);

    // A card moved by keyboard to the end of a long column is drawn there, focus on it.
    await page.reload();
    await column.waitFor();
    expect(await drawn()).toBe(60);
    await page.getByRole('button', { name: 'Mover', exact: true }).focus();
    await page.keyboard.press('Alt+ArrowRight');
    const longer = page.getByRole('region', { name: 'in progress (151)' });
    await longer.getByRole('button', { name: 'Mover', exact: true }).waitFor();
    expect(await longer.locator('.card .title').last().textContent()).toBe('Mover');
    await expect.poll(() => longer.getByRole('button', { name: 'Mover', exact: true }).evaluate((element) => element === element.ownerDocument.activeElement)).toBe(true);
    await expect.poll(async () => (await hub.call('GET', `/tasks/${mover.id}`)).body.status).toBe('in_progress');

    // Dragged onto a long column (not onto a card), a card goes after the last one drawn, and is drawn.
    const dragged = (await hub.call('POST', '/tasks', { project_id: project.id, title: 'Dragged', status: 'review' })).body;
    await page.reload();
    const column151 = page.getByRole('region', { name: 'in progress (151)' });
    await column151.waitFor();
    await dragOnto(page, page.locator(`[data-task-id="${dragged.id}"]`), column151.locator('h3'));
    const withDragged = page.getByRole('region', { name: 'in progress (152)' });
    await withDragged.getByRole('button', { name: 'Dragged', exact: true }).waitFor();
    expect(await withDragged.locator('.card .title').nth(60).textContent()).toBe('Dragged');
    await expect.poll(async () => (await hub.call('GET', `/tasks/${dragged.id}`)).body.status).toBe('in_progress');
    const saved = (await hub.call('GET', `/projects/${project.id}/tasks?status=in_progress&limit=500`)).body.map((task: { title: string }) => task.title);
    expect(saved.slice(59, 62)).toEqual(['Long task 60', 'Dragged', 'Long task 61']);
    await hub.call('DELETE', `/projects/${project.id}`);
  });
});
