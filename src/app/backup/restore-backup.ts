import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Config } from '../../config/config.js';
import { ConflictError, UnprocessableError } from '../../core/errors.js';
import { rowsOf, type Database } from '../../db/database.js';
import { migrationLockKey } from '../../db/migrate.js';
import { knownMigrations, migrateTo, migrationLevel } from '../../db/migration-levels.js';
import { CredentialCipher } from '../../integrations/credential-cipher.js';
import { DamagedArchiveError, readArchive } from './archive-reader.js';
import { describeDatabase, openForBackup } from './backup-database.js';
import { attachmentsFolder, formatBytes, keyEntry, manifestEntry, parseTablePartEntry, storedNamePattern, summarize, type BackupManifest } from './backup-format.js';
import { checkBackup, readSmall } from './check-backup.js';
import { decodeRow, lines } from './jsonl.js';
import { RestoredFiles } from './restore-files.js';
import { refuseLiveWorkers, tablesWithRows } from './restore-target.js';
import { readCatalog, type Catalog, type CatalogTable } from './table-catalog.js';
import { countRows, tableRows, useExactText } from './table-dump.js';
import { TableLoader, dropForeignKeys, emptyTables, resetSequences, restoreForeignKeys, setTriggers } from './table-load.js';

export interface RestoreOptions {
  /** Replace what the target holds instead of refusing (its rows and their attachment files go). */
  force?: boolean;
  progress?: (line: string) => void;
  /** Stops the restore between two entries of the file: everything is rolled back. */
  signal?: AbortSignal;
  now?: Date;
}

export interface RestoreResult {
  file: string;
  database: string;
  manifest: BackupManifest;
  /** Runs the backup had queued (they get a job when a server or worker starts) or running (they end as interrupted then). */
  runs: { queued: number; running: number };
  notes: string[];
}

/** The backup's tables, each with the target's table of that name, which must have the same columns. */
function matchTables(manifest: BackupManifest, catalog: Catalog): Map<string, CatalogTable> {
  const matched = new Map<string, CatalogTable>();
  for (const table of manifest.tables) {
    const target = catalog.tables.find((candidate) => candidate.name === table.name);
    const names = table.columns.map((column) => column.name);
    const targetNames = target?.columns.map((column) => column.name) ?? [];
    if (!target || names.length !== targetNames.length || names.some((name) => !targetNames.includes(name))) {
      throw new UnprocessableError(
        'backup_schema_mismatch',
        `The backup's table ${table.name} (${names.join(', ')}) does not match this wfhub's at migration ${manifest.migrations.last_tag} (${target ? targetNames.join(', ') : 'no such table'}): restore it with the wfhub that made it (${manifest.wfhub_version}). Nothing was changed.`,
      );
    }
    matched.set(table.name, target);
  }
  return matched;
}

async function storedNames(db: Database, catalog: Catalog): Promise<string[]> {
  const table = catalog.tables.find((candidate) => candidate.name === 'task_attachments');
  if (!table?.columns.some((column) => column.name === 'stored_name')) return [];
  const names: string[] = [];
  for await (const [name] of tableRows(db, { ...table, columns: [{ name: 'stored_name', type: 'text' }] })) if (name) names.push(name);
  return names;
}

/** Loads the backup's rows and stages its files, reading it a second time (it was checked whole first). */
async function loadArchive(db: Database, file: string, tables: Map<string, CatalogTable>, manifest: BackupManifest, files: RestoredFiles, progress: (line: string) => void, signal?: AbortSignal) {
  let loader: { name: string; columns: number; loader: TableLoader } | undefined;
  // Parts come in the manifest's order of tables; the empty ones, which have none, are told in their place.
  let told = 0;
  const tellEmptyUpTo = (table: string | undefined) => {
    for (; told < manifest.tables.length && manifest.tables[told]!.name !== table; told++) {
      if (manifest.tables[told]!.rows === 0) progress(`  ${manifest.tables[told]!.name}: 0 rows`);
    }
    if (table !== undefined) told++;
  };
  const finishTable = async () => {
    if (!loader) return;
    await loader.loader.flush();
    progress(`  ${loader.name}: ${loader.loader.loaded} row${loader.loader.loaded === 1 ? '' : 's'}`);
    loader = undefined;
  };
  try {
    for await (const entry of readArchive(file)) {
      signal?.throwIfAborted();
      if (entry.path === manifestEntry) continue;
      const part = parseTablePartEntry(entry.path);
      if (part) {
        if (loader?.name !== part.table) {
          await finishTable();
          tellEmptyUpTo(part.table);
          const table = manifest.tables.find((candidate) => candidate.name === part.table)!;
          loader = { name: part.table, columns: table.columns.length, loader: new TableLoader(db, tables.get(part.table)!, table.columns.map((column) => column.name)) };
        }
        for await (const line of lines(entry.chunks)) await loader.loader.add(decodeRow(line, loader.columns));
        continue;
      }
      await finishTable();
      if (entry.path.startsWith(`${attachmentsFolder}/`)) {
        const name = entry.path.slice(attachmentsFolder.length + 1);
        // Checked before; never a path of the archive's choosing.
        if (!storedNamePattern.test(name)) throw new Error(`unexpected entry ${entry.path}`);
        await files.stage(name, entry.chunks);
      } else if (entry.path === keyEntry) {
        await files.stageKey(await readSmall(entry));
      }
    }
    await finishTable();
    tellEmptyUpTo(undefined);
  } catch (error) {
    if (error instanceof DamagedArchiveError) {
      throw new UnprocessableError('not_a_backup', `${file} could not be read a second time: ${error.message}. Nothing was changed.`);
    }
    throw error;
  }
  progress(`  attachments: ${manifest.attachments.count} file${manifest.attachments.count === 1 ? '' : 's'} (${formatBytes(manifest.attachments.bytes)})`);
}

/** Whether the restored tracker credentials open with the key this configuration uses. */
async function credentialsReadable(db: Database, config: Config): Promise<{ count: number; readable: boolean | undefined }> {
  const [table] = rowsOf<{ found: string | null }>(await db.execute(sql`select to_regclass('public.tracker_credentials')::text as found`));
  if (!table?.found) return { count: 0, readable: undefined };
  const sealed = rowsOf<{ sealed_token: string }>(await db.execute(sql`select sealed_token from tracker_credentials order by id`));
  if (sealed.length === 0) return { count: 0, readable: undefined };
  // Without a key anywhere the cipher would make one: a new key opens nothing.
  if (config.secretKey === undefined && !existsSync(path.join(config.dataDir, 'secret.key'))) return { count: sealed.length, readable: false };
  try {
    const cipher = CredentialCipher.load({ secretKey: config.secretKey, dataDir: config.dataDir });
    cipher.open(sealed[0]!.sealed_token);
    return { count: sealed.length, readable: true };
  } catch {
    return { count: sealed.length, readable: false };
  }
}

/**
 * Restores a backup into the configured database and data dir. The file is read whole and
 * checked first; then, in one transaction, the database is migrated to the backup's level, the
 * rows loaded (foreign keys lifted meanwhile and checked when put back), the sequences set past
 * the restored ids, the counts compared with the manifest, and the rest of this wfhub's
 * migrations applied. A target that holds anything of its own is refused (unless `force`),
 * and any failure leaves the database and the data dir as they were.
 */
export async function restoreBackup(config: Config, file: string, options: RestoreOptions = {}): Promise<RestoreResult> {
  const progress = options.progress ?? (() => undefined);
  const now = options.now ?? new Date();
  const resolved = path.resolve(file);
  const migrations = knownMigrations();
  progress(`checking ${resolved}`);
  const manifest = await checkBackup(resolved, migrations);
  progress(
    `  a backup of ${manifest.database.kind === 'pglite' ? 'an embedded database' : 'PostgreSQL'} made by wfhub ${manifest.wfhub_version} at ${manifest.created_at}, at migration ${manifest.migrations.last_tag}: ${summarize(manifest)}`,
  );

  const database = await openForBackup(config, 'restore');
  const where = describeDatabase(database);
  const whereCapitalized = where[0]!.toUpperCase() + where.slice(1);
  const files = new RestoredFiles(config.dataDir);
  const notes: string[] = [];
  let replaced: string[] = [];
  let committed = false;
  try {
    const runs = await database.db.transaction(async (transaction) => {
      const db = transaction as unknown as Database;
      await useExactText(db);
      // Another wfhub starting meanwhile waits for this transaction before it migrates.
      if (database.kind === 'postgres') await db.execute(sql`select pg_advisory_xact_lock(${migrationLockKey})`);
      const level = await migrationLevel(db, migrations);
      if (level.newer) throw new ConflictError('database_too_new', `${whereCapitalized} was migrated by a newer wfhub than this one: restore with that wfhub. Nothing was changed.`);
      if (level.count > manifest.migrations.count) {
        throw new ConflictError(
          'target_migrated_past_backup',
          `${whereCapitalized} is already migrated past the backup's level (${level.count} migrations, the backup has ${manifest.migrations.count}), and a schema is never migrated down. Restore into a fresh WFHUB_DATA_DIR, or into a new empty PostgreSQL database (createdb) that no wfhub has started on. Nothing was changed.`,
        );
      }
      if (database.kind === 'postgres') await refuseLiveWorkers(db);
      if (level.count > 0) {
        const before = await readCatalog(db);
        const held = await tablesWithRows(db, before);
        if (held.length > 0 && !options.force) {
          throw new ConflictError(
            'target_not_empty',
            `${whereCapitalized} is not empty (${held.slice(0, 4).join(', ')}${held.length > 4 ? ', …' : ''} hold rows): a backup is restored only into an empty database. Use a fresh WFHUB_DATA_DIR or a new empty PostgreSQL database, or --force to replace everything it holds. Nothing was changed.`,
            { tables: held },
          );
        }
        if (held.length > 0) {
          progress(`  --force: replacing what ${where} holds (${held.join(', ')})`);
          replaced = await storedNames(db, before);
        }
      }
      if (level.count < manifest.migrations.count) {
        progress(`  migrating ${where} to the backup's level (${manifest.migrations.count} migrations, the last ${manifest.migrations.last_tag})`);
        await migrateTo(db, migrations, manifest.migrations.count);
      }
      const catalog = await readCatalog(db);
      const tables = matchTables(manifest, catalog);
      await emptyTables(db, catalog.tables.map((table) => table.name));
      await dropForeignKeys(db, catalog.foreignKeys);
      await setTriggers(db, catalog.triggered, false);
      progress(`restoring into ${where}`);
      await loadArchive(db, resolved, tables, manifest, files, progress, options.signal);
      await setTriggers(db, catalog.triggered, true);
      await restoreForeignKeys(db, catalog.foreignKeys);
      for (const table of catalog.tables) await resetSequences(db, table);
      for (const table of manifest.tables) {
        const count = await countRows(db, table.name);
        if (count !== table.rows) throw new Error(`${table.name} has ${count} rows after loading, where the backup has ${table.rows}`);
      }
      const rest = await migrateTo(db, migrations, migrations.length);
      if (rest.length > 0) progress(`  migrated to this wfhub's level (${migrations.length} migrations, the last ${migrations.at(-1)!.tag})`);
      const [counts] = rowsOf<{ queued: number; running: number }>(
        await db.execute(sql`select count(*) filter (where status = 'queued')::int as queued, count(*) filter (where status = 'running')::int as running from task_runs`),
      );
      const { keyKept } = await files.commit(now);
      if (keyKept) notes.push(`The key file that was in ${config.dataDir} is kept as ${keyKept}; the backup's is now ${files.keyFile}.`);
      return { queued: Number(counts?.queued ?? 0), running: Number(counts?.running ?? 0) };
    });
    committed = true;

    // The forced restore's old attachments: their rows are gone, and the backup's files are in place.
    if (replaced.length > 0) {
      const kept = new Set(files.restored);
      for (const name of replaced) if (storedNamePattern.test(name) && !kept.has(name)) await rm(path.join(files.attachmentsDir, name), { force: true });
    }

    if (manifest.secret_key.included && config.secretKey !== undefined) {
      notes.push(`The backup's key file is restored to ${files.keyFile}, but WFHUB_SECRET_KEY is set here and takes precedence: unset it for the restored tracker credentials to open, or add them again.`);
    } else if (manifest.secret_key.source === 'environment') {
      notes.push('The backup holds no key: its tracker credentials were sealed with the WFHUB_SECRET_KEY of the hub it came from. Set that same WFHUB_SECRET_KEY here.');
    }
    const credentials = await credentialsReadable(database.db, config);
    if (credentials.readable === false) {
      notes.push(`${credentials.count} tracker credential${credentials.count === 1 ? '' : 's'} cannot be opened with this hub's key (${config.secretKey !== undefined ? 'WFHUB_SECRET_KEY' : files.keyFile}): set the key they were sealed with, or add them again.`);
    }
    if (runs.queued > 0) notes.push(`${runs.queued} run${runs.queued === 1 ? ' is' : 's are'} queued: the next wfhub server or worker to start gives ${runs.queued === 1 ? 'it' : 'them'} to the queue again (the queue itself is not in a backup).`);
    if (runs.running > 0) notes.push(`${runs.running} run${runs.running === 1 ? ' was' : 's were'} running when the backup was made: the next server or worker to start ends ${runs.running === 1 ? 'it' : 'them'} as interrupted (one that had changed nothing is tried again).`);
    if (manifest.attachments.missing > 0) notes.push(`${manifest.attachments.missing} attachment file${manifest.attachments.missing === 1 ? ' was' : 's were'} already missing when the backup was made.`);
    return { file: resolved, database: where, manifest, runs, notes };
  } catch (error) {
    if (!committed) await files.rollback();
    throw error;
  } finally {
    await files.cleanup();
    await database.close();
  }
}
