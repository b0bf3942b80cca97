import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import type { TestProject } from 'vitest/node';
import { migratePgliteDatabase } from '../src/db/migrate.js';
import * as schema from '../src/db/schema.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated embedded database, dumped once; each test file loads its own copy (~1 s). */
    pgliteSnapshot: string;
  }
}

/**
 * Once per run: build the CLI (the CLI tests run the real `bin/wfhub.js`) and make a migrated
 * PGlite snapshot, since creating a database from scratch takes several seconds.
 */
export default async function setup(project: TestProject) {
  const root = path.resolve(import.meta.dirname, '..');
  // Built as a user's `npm install` builds it: Vitest's NODE_ENV=test would make Vite bundle React's development build.
  // WFHUB_TEST_BUILD=skip, for a quick run of tests that use neither the CLI nor the web UI, uses the last build.
  if (process.env.WFHUB_TEST_BUILD !== 'skip') execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });

  const directory = mkdtempSync(path.join(tmpdir(), 'wfhub-test-snapshot-'));
  const client = await PGlite.create();
  await migratePgliteDatabase(drizzle({ client, schema }));
  const dump = await client.dumpDataDir('none');
  await client.close();
  const file = path.join(directory, 'migrated.tar');
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  project.provide('pgliteSnapshot', file);

  return () => rmSync(directory, { recursive: true, force: true });
}
