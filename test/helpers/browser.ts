import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium): the UI tests need it and fail without it. */
export const chromiumPath = process.env.WFHUB_CHROMIUM ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Where screenshots of the main screens go, to look at after a run. */
export function screenshotPath(name: string): string {
  const directory = path.resolve(import.meta.dirname, '..', '..', 'test-results');
  mkdirSync(directory, { recursive: true });
  return path.join(directory, `${name}.png`);
}

/**
 * Drags one element onto another as a hand does, in steps: the browser only starts an HTML5 drag
 * after the pointer has moved a little with the button down (a single jump, as `dragTo` makes
 * it, starts none in this Chromium).
 */
export async function dragOnto(page: Page, source: Locator, target: Locator): Promise<void> {
  const from = await source.boundingBox();
  const to = await target.boundingBox();
  if (!from || !to) throw new Error('dragOnto: the source or the target is not on screen');
  // Near its top left corner: a card's middle may hold a control (a select) that takes the press.
  await page.mouse.move(from.x + 8, from.y + 8);
  await page.mouse.down();
  await page.mouse.move(from.x + 28, from.y + 28, { steps: 5 });
  await page.mouse.move(to.x + to.width / 2, to.y + Math.min(to.height / 2, 20), { steps: 10 });
  await page.mouse.up();
}
