import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshotPath } from '../helpers/browser.js';
import { startBrowserHub, type BrowserHub } from '../helpers/browser-hub.js';

const serverToken = 'correct-horse-battery';

describe('the web UI in Chromium: a server started with WFHUB_TOKEN', () => {
  let setup: BrowserHub | undefined;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    setup = await startBrowserHub({ token: serverToken });
    ({ page, base } = setup);
    const created = await setup.hub.call('POST', '/projects', { name: 'Guarded', workspace_path: 'guarded' }, { authorization: `Bearer ${serverToken}` });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await setup?.close();
  });

  const dialog = () => page.getByRole('dialog', { name: 'This wfhub server needs its token' });

  it('asks for the token, refuses a wrong one and keeps nothing, then works with the right one', async () => {
    await page.goto(base);
    await dialog().waitFor();
    expect(await dialog().textContent()).toContain('started with WFHUB_TOKEN');
    // The field has focus, and the page behind cannot be reached.
    expect(await dialog().getByLabel('Token').evaluate((element) => element === element.ownerDocument.activeElement)).toBe(true);
    for (let press = 0; press < 4; press++) {
      await page.keyboard.press('Tab');
      // Wherever Tab goes (the dialog, or the browser's own controls), it is never the page behind.
      expect(await page.evaluate(`[...document.querySelectorAll('.app > :not(dialog)')].some((element) => element.contains(document.activeElement))`)).toBe(false);
    }
    await page.screenshot({ path: screenshotPath('token'), fullPage: true });

    await dialog().getByLabel('Token').fill('not-the-token');
    await dialog().getByRole('button', { name: 'Use this token' }).click();
    expect(await dialog().getByRole('alert').textContent()).toContain('refused this token');
    expect(await page.evaluate(`localStorage.getItem('wfhub.token')`)).toBeNull();
    // Esc does not dismiss it, however often: there is nothing to do without the token.
    await dialog().getByLabel('Token').focus();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    expect(await dialog().isVisible()).toBe(true);

    await dialog().getByLabel('Token').fill(serverToken);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Guarded', exact: true }).waitFor();
    expect(await dialog().count()).toBe(0);
    // The sockets carry it too: live updates arrive.
    await expect.poll(() => page.getByRole('status', { name: 'Live updates' }).textContent()).toBe('Live');
    await setup!.hub.call('POST', '/projects', { name: 'Made elsewhere', workspace_path: 'elsewhere' }, { authorization: `Bearer ${serverToken}` });
    await page.getByRole('button', { name: 'Made elsewhere', exact: true }).waitFor();
  });

  it('asks again when the saved token is no longer the server’s', async () => {
    await page.evaluate(`localStorage.setItem('wfhub.token', 'an-old-token')`);
    await page.reload();
    await dialog().waitFor();
    expect(await dialog().textContent()).toContain('no longer the server’s');
    await dialog().getByLabel('Token').fill(serverToken);
    await dialog().getByRole('button', { name: 'Use this token' }).click();
    await page.getByRole('button', { name: 'Guarded', exact: true }).waitFor();
    expect(await page.evaluate(`localStorage.getItem('wfhub.token')`)).toBe(serverToken);
  });
});
