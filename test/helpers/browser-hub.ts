import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import type { ConfigOverrides } from '../../src/config/config.js';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { launchBrowser } from './browser.js';
import { createTestHub, type TestHub, type TestHubOptions } from './test-hub.js';

/** A real server on a loopback port with a scripted model server, and Chromium with a page open. */
export interface BrowserHub {
  ollama: FakeOllama;
  hub: TestHub;
  browser: Browser;
  page: Page;
  /** The server's address, http://127.0.0.1:<port>. */
  base: string;
  close(): Promise<void>;
}

export interface BrowserHubOptions extends TestHubOptions {
  /** Runs execute (the scheduler started): off for tests that never trigger one. */
  runs?: boolean;
  context?: BrowserContextOptions;
  /** Before the server starts: the models the fake reports, say. */
  prepare?: (ollama: FakeOllama) => void;
}

export async function startBrowserHub(overrides: ConfigOverrides = {}, options: BrowserHubOptions = {}): Promise<BrowserHub> {
  const ollama = await new FakeOllama().start();
  let hub: TestHub | undefined;
  let browser: Browser | undefined;
  // Everything started is stopped, each whatever the others do.
  const close = async () => {
    const results = await Promise.allSettled([browser?.close(), hub?.close()]);
    await ollama.stop();
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  };
  try {
    options.prepare?.(ollama);
    hub = await createTestHub('pglite', { ollamaHost: ollama.url, model: 'qwen2.5-coder:3b', ...overrides }, options);
    if (options.runs) await hub.services.scheduler.start();
    const base = await hub.app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchBrowser();
    const page = await (await browser.newContext(options.context)).newPage();
    return { ollama, hub, browser, page, base, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
