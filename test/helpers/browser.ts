import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

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
