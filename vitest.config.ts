import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    // A poll waits for what a busy two-core machine may take seconds to show (a run ending, a browser redrawing).
    expect: { poll: { timeout: 10_000 } },
    hookTimeout: 120_000,
    pool: 'forks',
    // PGlite instances are large; two cores do not gain from more workers.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
