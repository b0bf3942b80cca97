import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArchive } from '../../src/app/backup/archive-reader.js';
import { ArchiveWriter } from '../../src/app/backup/archive-writer.js';
import { openHub, type Hub } from '../../src/app/open-hub.js';
import { loadConfig } from '../../src/config/config.js';
import { rowsOf, type Database } from '../../src/db/database.js';
import { knownMigrations, migrateTo, migrationLevel } from '../../src/db/migration-levels.js';
import * as schema from '../../src/db/schema.js';
import { CredentialCipher } from '../../src/integrations/credential-cipher.js';
import { trackerCredentialTable } from '../../src/integrations/integration.sql.js';
import { runCli, startServe } from '../helpers/cli.js';
import { backends, createPostgresDatabase, dropPostgresDatabase } from '../helpers/database.js';
import { tempDir } from '../helpers/temp-dir.js';

const withPostgres = backends().includes('postgres');

function hubConfig(dir: string, databaseUrl?: string) {
  return loadConfig({
    env: {},
    dotenv: false,
    cwd: dir,
    overrides: { dataDir: path.join(dir, '.wfhub'), workspacesDir: path.join(dir, 'workspaces'), ollamaHost: 'http://127.0.0.1:9', ...(databaseUrl && { databaseUrl }) },
  });
}

function open(dir: string, databaseUrl?: string): Promise<Hub> {
  return openHub(hubConfig(dir, databaseUrl), { purpose: 'test' });
}

/** Every row of every wfhub table, as PostgreSQL's JSON of it (read another way than backups read). */
async function everyRow(db: Database): Promise<Record<string, string[]>> {
  return db.transaction(async (transaction) => {
    const tx = transaction as unknown as Database;
    await tx.execute(sql`set local timezone = 'UTC'`);
    await tx.execute(sql`set local extra_float_digits = 3`);
    const tables = rowsOf<{ name: string }>(await tx.execute(sql`select tablename as name from pg_tables where schemaname = 'public' and tablename <> 'workers' order by 1`));
    const rows: Record<string, string[]> = {};
    for (const { name } of tables) {
      rows[name] = rowsOf<{ row: string }>(await tx.execute(sql.raw(`select row_to_json(t)::text as row from public."${name}" t order by 1`))).map((row) => row.row);
    }
    return rows;
  });
}

const attachmentBytes = Buffer.concat([Buffer.from([0, 1, 2, 255, 254, 0]), Buffer.from('a PNG, or so it says\n'.repeat(1000))]);

/** A hub with something of everything: the ids and values the restore must give back. */
async function populate(hub: Hub, dataDir: string): Promise<{ queuedRun: number; finishedRun: number; attachment: number }> {
  const { services, database } = hub;
  const poc = await services.projects.create({ name: 'POC', workspace_path: 'poc', environment: { stack: 'node', big: 12345678901234567890 }, settings: { model: 'qwen3:4b' } } as never);
  const shop = await services.projects.create({ name: 'Shop', workspace_path: 'shop' } as never);
  const parent = await services.tasks.create({
    project_id: poc.id,
    title: 'Parent ünïcødé ✓',
    description: 'quotes " and \\ backslashes\nand a newline\tand a tab',
    priority: 'high',
    acceptance_criteria: ['it works', { text: 'the tests pass', check_command: 'npm test' }],
  } as never);
  const child = await services.tasks.create({ project_id: poc.id, parent_id: parent.id, title: 'Child' } as never);
  const later = await services.tasks.create({ project_id: poc.id, title: 'A later parent', blocked_by: [child.id] } as never);
  // A row that refers to a later one: the parent's parent has a larger id.
  await services.tasks.update(parent.id, { parent_id: later.id } as never);
  await services.tasks.create({ project_id: shop.id, title: 'Checkout', position: 0.1 + 0.2 } as never);
  await services.comments.create(parent.id, { body: 'First comment', author: 'mia' } as never);
  await services.comments.create(child.id, { body: 'Emoji 🎉 and null-ish \\u0000 text' } as never);
  const [attachment] = await services.attachments.upload(
    parent.id,
    (async function* () {
      yield { file_name: 'mockup.png', content_type: 'image/png', stream: Readable.from([attachmentBytes]) };
    })(),
  );

  const run = await services.runs.create(parent.id, { message: 'Say hi' } as never, async () => undefined);
  await services.runs.claim(run.id, 'test-worker', 60_000);
  await services.runs.appendEvent(run.id, { seq: 1, type: 'run.started', data: { model: 'qwen3:4b', provider: 'ollama' } });
  await services.runs.appendEvent(run.id, { seq: 2, type: 'llm.response', data: { text: 'Hello — “quoted”', prompt_tokens: 120, completion_tokens: 30, nested: { list: [1, 2.5, null, true] } } });
  await services.runs.appendEvent(run.id, { seq: 3, type: 'tool.called', data: { name: 'write', arguments: { path: 'hello.txt', content: 'hi' }, call_id: 'c1' } });
  await services.runs.finish(run.id, { status: 'succeeded', summary: 'Wrote hello.txt', filesChanged: ['hello.txt'], steps: 1, promptTokens: 120, completionTokens: 30, diff: '+hi\n' });
  const queued = await services.runs.create(child.id, {} as never, async () => undefined);

  const cipher = CredentialCipher.load({ dataDir });
  await database.db.insert(trackerCredentialTable).values({ provider: 'github', name: 'GitHub', account: 'mia', sealed_token: cipher.seal('ghp_the-token') });
  return { queuedRun: queued.id, finishedRun: run.id, attachment: attachment!.id };
}

/** What the restored hub must show besides equal rows: files, the key, fresh ids. */
async function checkRestored(dir: string, expected: Record<string, string[]>, ids: { queuedRun: number; finishedRun: number; attachment: number }, databaseUrl?: string) {
  const hub = await open(dir, databaseUrl);
  try {
    expect(await everyRow(hub.database.db)).toEqual(expected);
    const { services, database } = hub;
    const download = await services.attachments.download(ids.attachment);
    const chunks: Buffer[] = [];
    for await (const chunk of download.stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(attachmentBytes)).toBe(true);
    expect((await services.runs.get(ids.queuedRun)).status).toBe('queued');
    const events = await services.runs.events(ids.finishedRun, { afterSeq: 0, limit: 10 });
    expect(events.items.map((event) => event.type)).toEqual(['run.started', 'llm.response', 'tool.called']);

    const [credential] = await database.db.select().from(trackerCredentialTable);
    expect(CredentialCipher.load({ dataDir: path.join(dir, '.wfhub') }).open(credential!.sealed_token)).toBe('ghp_the-token');

    // New rows get the ids after the restored ones.
    const maxOf = (table: string) => Math.max(...expected[table]!.map((row) => (JSON.parse(row) as { id: number }).id));
    const project = await services.projects.create({ name: 'After the restore', workspace_path: 'after' } as never);
    expect(project.id).toBe(maxOf('projects') + 1);
    const task = await services.tasks.create({ project_id: project.id, title: 'New' } as never);
    expect(task.id).toBe(maxOf('tasks') + 1);
    const comment = await services.comments.create(task.id, { body: 'new' } as never);
    expect(comment.id).toBe(maxOf('task_comments') + 1);
    const run = await services.runs.create(task.id, {} as never, async () => undefined);
    expect(run.id).toBe(maxOf('task_runs') + 1);
    await services.runs.appendEvent(run.id, { seq: 1, type: 'run.started', data: {} });
    const [event] = rowsOf<{ id: string }>(await database.db.execute(sql`select id::text from run_events where run_id = ${run.id}`));
    expect(Number(event!.id)).toBe(maxOf('run_events') + 1);
  } finally {
    await hub.close();
  }
}

/** A copy of `file` with its manifest changed by `edit`. */
async function withManifest(file: string, target: string, edit: (manifest: Record<string, any>) => void): Promise<void> {
  const writer = await ArchiveWriter.create(target);
  for await (const entry of readArchive(file)) {
    const parts: Buffer[] = [];
    for await (const chunk of entry.chunks) parts.push(chunk);
    let data = Buffer.concat(parts);
    if (entry.path === 'manifest.json') {
      const manifest = JSON.parse(data.toString('utf8'));
      edit(manifest);
      data = Buffer.from(JSON.stringify(manifest));
    }
    await writer.add(entry.path, data);
  }
  await writer.finish();
}

async function archiveNames(file: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of readArchive(file)) names.push(entry.path);
  return names;
}

describe('wfhub backup and restore', () => {
  const { dir, cleanup } = tempDir('wfhub-cli-backup-');
  const source = path.join(dir, 'source');
  const backupFile = path.join(dir, 'hub.tar.gz');
  const databases: string[] = [];
  let expected: Record<string, string[]>;
  let ids: { queuedRun: number; finishedRun: number; attachment: number };

  beforeAll(async () => {
    mkdirSync(source, { recursive: true });
    const hub = await open(source);
    try {
      ids = await populate(hub, path.join(source, '.wfhub'));
      expected = await everyRow(hub.database.db);
    } finally {
      await hub.close();
    }
  });
  afterAll(async () => {
    for (const url of databases) await dropPostgresDatabase(url);
    cleanup();
  });

  async function freshPostgres(): Promise<string> {
    const url = await createPostgresDatabase();
    databases.push(url);
    return url;
  }

  it('backs up the embedded database into one file only its owner can read, with the manifest, rows, attachments and key', async () => {
    const result = await runCli(['backup', backupFile], { cwd: source });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(`backed up 2 projects, 4 tasks, 2 runs, 1 attachment (${(attachmentBytes.length / 1024).toFixed(0)} KB) to ${backupFile}`);
    expect(result.stderr).toContain('backing up the embedded database at');
    expect(result.stderr).toContain('  tasks: 4 rows');
    expect(result.stderr).toContain('  run_events: 3 rows');
    expect(result.stderr).toContain('secret.key: included');
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    const names = await archiveNames(backupFile);
    expect(names[0]).toBe('manifest.json');
    expect(names).toContain('tables/tasks/000001.jsonl');
    expect(names).toContain('secret.key');
    expect(names.filter((name) => name.startsWith('attachments/'))).toHaveLength(1);
    expect(names.some((name) => name.includes('workers') || name.includes('pgboss'))).toBe(false);

    let manifest: any;
    for await (const entry of readArchive(backupFile)) {
      if (entry.path !== 'manifest.json') continue;
      const parts: Buffer[] = [];
      for await (const chunk of entry.chunks) parts.push(chunk);
      manifest = JSON.parse(Buffer.concat(parts).toString('utf8'));
    }
    const migrations = knownMigrations();
    expect(manifest).toMatchObject({
      format: 'wfhub-backup',
      format_version: 1,
      database: { kind: 'pglite' },
      migrations: { count: migrations.length, last_tag: migrations.at(-1)!.tag },
      attachments: { count: 1, bytes: attachmentBytes.length },
      secret_key: { included: true, source: 'key_file' },
    });
    expect(manifest.tables.find((table: any) => table.name === 'task_comments').rows).toBe(expected.task_comments!.length);

    // The default name, in the current folder, and --json.
    const json = await runCli(['backup', '--json'], { cwd: source });
    expect(json.code, json.stderr).toBe(0);
    const answer = JSON.parse(json.stdout);
    expect(path.basename(answer.file)).toMatch(/^wfhub-backup-\d{8}T\d{6}Z\.tar\.gz$/);
    expect(path.dirname(answer.file)).toBe(source);
    expect(answer).toMatchObject({ database: 'pglite', tables: { projects: 2, tasks: 4 }, attachments: { count: 1 }, notes: [] });
  }, 120_000);

  it('restores into a fresh data dir: every row with its id, the attachment, the key, and fresh ids after', async () => {
    const target = path.join(dir, 'restored');
    mkdirSync(target);
    const result = await runCli(['restore', backupFile], { cwd: target });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toMatch(/^restored 2 projects, 4 tasks, 2 runs, 1 attachment \(.+\) from .*hub\.tar\.gz into the embedded database at /);
    expect(result.stderr).toContain('  tasks: 4 rows');
    expect(result.stderr).toContain('note: 1 run is queued: the next wfhub server or worker to start gives it to the queue again');
    expect(statSync(path.join(target, '.wfhub', 'secret.key')).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.join(target, '.wfhub', 'attachments'))).toHaveLength(1);
    await checkRestored(target, expected, ids);
  }, 180_000);

  it('refuses a target that holds data, and changes nothing there; --force replaces it all', async () => {
    const target = path.join(dir, 'restored');
    const hub = await open(target);
    // An attachment of the target's own, which a forced restore takes away with its row.
    const [own] = await hub.services.attachments.upload(
      1,
      (async function* () {
        yield { file_name: 'own.txt', content_type: 'text/plain', stream: Readable.from([Buffer.from('mine')]) };
      })(),
    );
    const before = await everyRow(hub.database.db);
    await hub.close();
    const result = await runCli(['restore', backupFile], { cwd: target });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: The embedded database at .* is not empty \(projects, .* hold rows\): a backup is restored only into an empty database\. Use a fresh WFHUB_DATA_DIR/);
    expect(result.stderr).toContain('Nothing was changed.');
    const after = await open(target);
    try {
      expect(await everyRow(after.database.db)).toEqual(before);
    } finally {
      await after.close();
    }
    expect(readdirSync(path.join(target, '.wfhub', 'attachments'))).toHaveLength(2);

    const forced = await runCli(['restore', backupFile, '--force', '--json'], { cwd: target });
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain('--force: replacing what the embedded database at');
    expect(JSON.parse(forced.stdout)).toMatchObject({ tables: { projects: 2, tasks: 4 }, runs: { queued: 1, running: 0 } });
    const replaced = await open(target);
    try {
      expect(await everyRow(replaced.database.db)).toEqual(expected);
    } finally {
      await replaced.close();
    }
    const files = readdirSync(path.join(target, '.wfhub', 'attachments'));
    expect(files).toHaveLength(1);
    expect(files).not.toContain(JSON.parse(before.task_attachments!.find((row) => JSON.parse(row).id === own!.id)!).stored_name);

    // Restored over itself again: the same uploads are there already under their names, and stay.
    const again = await runCli(['restore', backupFile, '--force'], { cwd: target });
    expect(again.code, again.stderr).toBe(0);
    expect(readdirSync(path.join(target, '.wfhub', 'attachments'))).toEqual(files);
    expect(readFileSync(path.join(target, '.wfhub', 'attachments', files[0]!))).toEqual(attachmentBytes);
  }, 240_000);

  it('refuses a damaged, truncated or foreign file before touching anything', async () => {
    const truncated = path.join(dir, 'truncated.tar.gz');
    copyFileSync(backupFile, truncated);
    truncateSync(truncated, Math.floor(statSync(backupFile).size / 2));
    const foreign = path.join(dir, 'notes.tar.gz');
    writeFileSync(foreign, 'these are my notes\n');
    const damaged = path.join(dir, 'damaged.tar.gz');
    const bytes = readFileSync(backupFile);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(damaged, bytes);

    for (const [file, why] of [
      [truncated, /it ends too early|is damaged/],
      [foreign, /it is not gzip-compressed/],
      [damaged, /damaged/],
    ] as const) {
      const target = path.join(dir, `never-${path.basename(file)}`);
      mkdirSync(target);
      const result = await runCli(['restore', file], { cwd: target });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain(`error: ${file} is not a wfhub backup, or it is damaged: `);
      expect(result.stderr).toMatch(why);
      expect(result.stderr).toContain('Nothing was changed.');
      expect(existsSync(path.join(target, '.wfhub'))).toBe(false);
    }
    const missing = await runCli(['restore', path.join(dir, 'nowhere.tar.gz')], { cwd: dir });
    expect(missing.stderr).toContain('There is no file');
  }, 120_000);

  it('refuses a backup from a newer wfhub, by its migrations or by its format', async () => {
    const newer = path.join(dir, 'newer.tar.gz');
    await withManifest(backupFile, newer, (manifest) => {
      manifest.migrations = { count: manifest.migrations.count + 1, last_tag: '9999_from_the_future' };
      manifest.wfhub_version = '9.0.0';
    });
    const target = path.join(dir, 'never-newer');
    mkdirSync(target);
    const result = await runCli(['restore', newer], { cwd: target });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/comes from a database migrated by a newer wfhub \(9\.0\.0: \d+ migrations, the last 9999_from_the_future; this wfhub .* knows \d+\)\. Upgrade wfhub to 9\.0\.0 or later/);
    expect(existsSync(path.join(target, '.wfhub'))).toBe(false);

    const format = path.join(dir, 'format.tar.gz');
    await withManifest(backupFile, format, (manifest) => {
      manifest.format_version = 2;
    });
    const refused = await runCli(['restore', format], { cwd: target });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('was written by a newer wfhub');
    expect(existsSync(path.join(target, '.wfhub'))).toBe(false);
  }, 120_000);

  it('restores a backup from an older wfhub: migrated to its level, loaded, then migrated the rest', async () => {
    const old = path.join(dir, 'old');
    const migrations = knownMigrations();
    const level = migrations.findIndex((migration) => migration.tag === '0012_director');
    expect(level).toBeGreaterThan(0);
    mkdirSync(path.join(old, '.wfhub'), { recursive: true });
    const client = await PGlite.create(path.join(old, '.wfhub', 'db'));
    const db = drizzle({ client, schema }) as unknown as Database;
    await migrateTo(db, migrations, level);
    await db.execute(sql`insert into projects (name, workspace_path) values ('Old', 'old')`);
    await db.execute(sql`insert into tasks (project_id, title, status) values (1, 'From before pipelines', 'review')`);
    await db.execute(sql`insert into task_comments (task_id, body) values (1, 'old comment')`);
    await client.exec('CHECKPOINT');
    await client.close();

    const file = path.join(dir, 'old.tar.gz');
    const backup = await runCli(['backup', file], { cwd: old });
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stderr).toContain(`(${level} migrations, the last ${migrations[level - 1]!.tag})`);

    const target = path.join(dir, 'from-old');
    mkdirSync(target);
    const restored = await runCli(['restore', file], { cwd: target });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toContain(`migrating the embedded database at ${path.join(target, '.wfhub', 'db')} to the backup's level (${level} migrations`);
    expect(restored.stderr).toContain(`migrated to this wfhub's level (${migrations.length} migrations`);
    const hub = await open(target);
    try {
      expect(await migrationLevel(hub.database.db, migrations)).toMatchObject({ count: migrations.length, newer: false });
      expect(await hub.services.tasks.get(1)).toMatchObject({ id: 1, title: 'From before pipelines', status: 'review', autopilot: false });
      expect((await hub.services.tasks.create({ project_id: 1, title: 'next' } as never)).id).toBe(2);
    } finally {
      await hub.close();
    }
  }, 180_000);

  it('refuses to back up the embedded database a server holds, naming it, and leaves no file', async () => {
    const server = await startServe({ cwd: source, env: { OLLAMA_HOST: 'http://127.0.0.1:9' } });
    try {
      const result = await runCli(['backup', path.join(dir, 'while-serving.tar.gz')], { cwd: source });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`stop the server (pid ${server.child.pid}`);
      expect(existsSync(path.join(dir, 'while-serving.tar.gz'))).toBe(false);
      const restore = await runCli(['restore', backupFile], { cwd: source });
      expect(restore.code).toBe(1);
      expect(restore.stderr).toContain(`stop the server (pid ${server.child.pid}`);
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('leaves the key out when WFHUB_SECRET_KEY is set, and says it must be kept', async () => {
    const file = path.join(dir, 'no-key.tar.gz');
    const result = await runCli(['backup', file], { cwd: source, env: { WFHUB_SECRET_KEY: 'a-long-enough-secret-key' } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/note: WFHUB_SECRET_KEY is set, so the key that seals the stored tracker tokens .* is not in this backup: keep WFHUB_SECRET_KEY with it/);
    expect(await archiveNames(file)).not.toContain('secret.key');
  }, 120_000);

  it.runIf(withPostgres)('restores an embedded backup into PostgreSQL, backs that up while a server runs, and restores it into the embedded database', async () => {
    const url = await freshPostgres();
    const onPostgres = path.join(dir, 'on-postgres');
    mkdirSync(onPostgres);
    const restored = await runCli(['restore', backupFile], { cwd: onPostgres, env: { DATABASE_URL: url } });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain('into PostgreSQL at');
    await checkRestored(onPostgres, expected, ids, url);

    // checkRestored added a project, a task, a comment and a run. The queued runs are cancelled,
    // so the server below has nothing to do: the database stays as it is now.
    const hub = await open(onPostgres, url);
    for (const runId of await hub.services.runs.queuedIds()) {
      await hub.services.runs.finish(runId, { status: 'cancelled', error: { code: 'cancelled', message: 'not in this test' } });
    }
    const now = await everyRow(hub.database.db);
    await hub.close();

    const server = await startServe({ cwd: onPostgres, env: { DATABASE_URL: url, OLLAMA_HOST: 'http://127.0.0.1:9', WFHUB_DIRECTOR: 'off' } });
    const file = path.join(dir, 'postgres.tar.gz');
    try {
      const backup = await runCli(['backup', file], { cwd: onPostgres, env: { DATABASE_URL: url } });
      expect(backup.code, backup.stderr).toBe(0);
      expect(backup.stderr).toContain('backing up PostgreSQL at');

      // A database a server uses is not restored into.
      const busy = await freshPostgres();
      const elsewhere = path.join(dir, 'busy-postgres');
      mkdirSync(elsewhere);
      const other = await startServe({ cwd: elsewhere, env: { DATABASE_URL: busy, OLLAMA_HOST: 'http://127.0.0.1:9', WFHUB_DIRECTOR: 'off' } });
      try {
        const refused = await runCli(['restore', file], { cwd: elsewhere, env: { DATABASE_URL: busy } });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/This database is in use: wfhub serve \(pid \d+ on .*\) was seen \d+ s ago/);
      } finally {
        await other.stop();
      }
    } finally {
      await server.stop();
    }

    const back = path.join(dir, 'back-from-postgres');
    mkdirSync(back);
    const embedded = await runCli(['restore', file], { cwd: back });
    expect(embedded.code, embedded.stderr).toBe(0);
    const restoredHub = await open(back);
    try {
      expect(await everyRow(restoredHub.database.db)).toEqual(now);
    } finally {
      await restoredHub.close();
    }
  }, 300_000);
});
