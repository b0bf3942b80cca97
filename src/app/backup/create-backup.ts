import { existsSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Config } from '../../config/config.js';
import { InvalidInputError, UnprocessableError } from '../../core/errors.js';
import { rowsOf, type Database } from '../../db/database.js';
import { knownMigrations, migrationLevel } from '../../db/migration-levels.js';
import { keyFileName } from '../../integrations/credential-cipher.js';
import { version } from '../version.js';
import { ArchiveWriter } from './archive-writer.js';
import { describeDatabase, openForBackup } from './backup-database.js';
import {
  attachmentsFolder,
  backupFormat,
  backupFormatVersion,
  formatBytes,
  keyEntry,
  manifestEntry,
  partBytes,
  storedNamePattern,
  tablePartEntry,
  type BackupManifest,
} from './backup-format.js';
import { encodeRow } from './jsonl.js';
import { readCatalog, type Catalog, type CatalogTable } from './table-catalog.js';
import { countRows, tableRows, useExactText } from './table-dump.js';

export interface BackupOptions {
  /** The file to write, or a folder to write the default name in; default: the current folder. */
  file?: string;
  /** What is being done, a line at a time (the CLI prints it on stderr). */
  progress?: (line: string) => void;
  signal?: AbortSignal;
  now?: Date;
}

export interface BackupResult {
  file: string;
  bytes: number;
  manifest: BackupManifest;
  /** What the person keeping the file must know (the key not in it, attachments missing). */
  notes: string[];
}

const capitalized = (text: string) => text[0]!.toUpperCase() + text.slice(1);

/** `wfhub-backup-20260314T093000Z.tar.gz` */
export function defaultBackupName(now: Date): string {
  return `wfhub-backup-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.tar.gz`;
}

function targetFile(given: string | undefined, now: Date): string {
  const name = defaultBackupName(now);
  if (given === undefined) return path.resolve(name);
  const resolved = path.resolve(given);
  if (existsSync(resolved) && statSync(resolved).isDirectory()) return path.join(resolved, name);
  if (!existsSync(path.dirname(resolved))) throw new InvalidInputError('no_folder', `There is no folder ${path.dirname(resolved)} to write ${path.basename(resolved)} in: create it, or give another path.`);
  return resolved;
}

/**
 * The attachment files the rows name, each held by a hard link in `holdDir` from the moment it is
 * counted: a task deleted while the tables are read (minutes, on a large PostgreSQL) removes its
 * file, not the backup's link to it, so what the manifest counts is what the file holds. Where the
 * file system has no hard links the file is read where it is.
 */
async function attachmentFiles(
  db: Database,
  catalog: Catalog,
  dir: string,
  holdDir: string,
): Promise<{ files: { name: string; size: number; path: string }[]; missing: string[] }> {
  const table = catalog.tables.find((candidate) => candidate.name === 'task_attachments');
  const files: { name: string; size: number; path: string }[] = [];
  const missing: string[] = [];
  if (!table?.columns.some((column) => column.name === 'stored_name')) return { files, missing };
  const names = new Set<string>();
  const listing: CatalogTable = { ...table, columns: [{ name: 'stored_name', type: 'text' }] };
  for await (const [name] of tableRows(db, listing)) {
    if (name && storedNamePattern.test(name)) names.add(name);
  }
  if (names.size > 0) await mkdir(holdDir, { recursive: true, mode: 0o700 });
  for (const name of names) {
    const original = path.join(dir, name);
    const held = path.join(holdDir, name);
    const linked = await link(original, held).then(
      () => true,
      (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : false),
    );
    const where = linked ? held : original;
    const info = linked === undefined ? undefined : await stat(where).catch(() => undefined);
    if (info?.isFile()) files.push({ name, size: info.size, path: where });
    else missing.push(name);
  }
  return { files, missing };
}

/** A file's bytes, read through one handle: a delete meanwhile does not cut them short. */
async function* fileChunks(file: string): AsyncGenerator<Buffer> {
  const handle = await open(file, 'r');
  try {
    for (;;) {
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(256 * 1024), 0, 256 * 1024);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** A table's rows into the archive, in parts of a few MB; answers how many rows there were. */
async function dumpTable(db: Database, writer: ArchiveWriter, table: CatalogTable, signal?: AbortSignal): Promise<number> {
  let part = 0;
  let buffered: Buffer[] = [];
  let bufferedBytes = 0;
  let rows = 0;
  const close = async () => {
    if (buffered.length === 0) return;
    await writer.add(tablePartEntry(table.name, ++part), Buffer.concat(buffered));
    buffered = [];
    bufferedBytes = 0;
  };
  for await (const row of tableRows(db, table)) {
    const line = Buffer.from(encodeRow(row), 'utf8');
    buffered.push(line);
    bufferedBytes += line.length;
    rows++;
    if (bufferedBytes >= partBytes) {
      signal?.throwIfAborted();
      await close();
    }
  }
  await close();
  return rows;
}

/**
 * Writes a backup of the configured database and data dir into one file: the manifest, every
 * wfhub table's rows (pg-boss's queue and the worker registry aside), the attachments' files
 * and the credential key file. Everything is read in one repeatable-read transaction, so on
 * PostgreSQL the backup is consistent while servers keep working; the embedded database must
 * not be held by a server.
 */
export async function createBackup(config: Config, options: BackupOptions = {}): Promise<BackupResult> {
  const now = options.now ?? new Date();
  const progress = options.progress ?? (() => undefined);
  const file = targetFile(options.file, now);
  const migrations = knownMigrations();
  const database = await openForBackup(config, 'backup');
  const notes: string[] = [];
  // The attachments are held here, inside the attachments folder (hard links need the same file
  // system), while the backup runs; the store's sweep leaves names that are not its own alone.
  const holdDir = path.join(config.dataDir, 'attachments', `.backup-${process.pid}-${randomBytes(4).toString('hex')}`);
  let writer: ArchiveWriter | undefined;
  try {
    writer = await ArchiveWriter.create(file, now);
    const archive = writer;
    const manifest = await database.db.transaction(
      async (transaction) => {
        const db = transaction as unknown as Database;
        await useExactText(db);
        const level = await migrationLevel(db, migrations);
        if (level.count === 0) {
          throw new UnprocessableError('no_schema', `${capitalized(describeDatabase(database))} has no wfhub tables: nothing to back up. Check DATABASE_URL or --data-dir.`);
        }
        if (level.newer) {
          throw new UnprocessableError(
            'database_too_new',
            `${capitalized(describeDatabase(database))} was migrated by a newer wfhub than this one (${version}, ${migrations.length} migrations): back it up with that wfhub.`,
          );
        }
        const [server] = rowsOf<{ server_version: string }>(await db.execute(sql`show server_version`));
        progress(`backing up ${describeDatabase(database)} (${level.count} migrations, the last ${level.lastTag}) to ${file}`);
        const catalog = await readCatalog(db);
        const tables = [];
        for (const table of catalog.tables) {
          tables.push({ name: table.name, columns: table.columns, primary_key: table.primaryKey, rows: await countRows(db, table.name) });
        }
        const attachmentsDir = path.join(config.dataDir, 'attachments');
        const { files, missing } = await attachmentFiles(db, catalog, attachmentsDir, holdDir);
        if (missing.length > 0) {
          notes.push(`${missing.length} attachment file${missing.length === 1 ? ' is' : 's are'} missing from ${attachmentsDir} (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}): their rows are backed up, their files cannot be.`);
        }
        const keyFile = path.join(config.dataDir, keyFileName);
        let key: Buffer | undefined;
        if (config.secretKey === undefined && existsSync(keyFile)) {
          key = await readFile(keyFile);
          if (Buffer.from(key.toString('utf8').trim(), 'base64').length !== 32) {
            throw new UnprocessableError('bad_key_file', `The key file ${keyFile} does not hold a 32-byte key, so the tracker credentials it sealed cannot be opened: restore it from a backup, or remove it and add the credentials again.`);
          }
        }
        const manifest: BackupManifest = {
          format: backupFormat,
          format_version: backupFormatVersion,
          wfhub_version: version,
          created_at: now.toISOString(),
          database: { kind: database.kind, ...(server && { server_version: server.server_version }) },
          migrations: { count: level.count, last_tag: level.lastTag ?? null },
          tables,
          attachments: { count: files.length, bytes: files.reduce((sum, entry) => sum + entry.size, 0), missing: missing.length },
          secret_key: { included: key !== undefined, source: config.secretKey !== undefined ? 'environment' : key ? 'key_file' : 'none' },
        };
        await archive.add(manifestEntry, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));

        for (const table of catalog.tables) {
          options.signal?.throwIfAborted();
          const expected = tables.find((entry) => entry.name === table.name)!.rows;
          const rows = await dumpTable(db, archive, table, options.signal);
          if (rows !== expected) throw new Error(`${table.name} gave ${rows} rows where it counted ${expected} in the same snapshot`);
          progress(`  ${table.name}: ${rows} row${rows === 1 ? '' : 's'}`);
        }
        for (const entry of files) {
          options.signal?.throwIfAborted();
          await archive.addStream(`${attachmentsFolder}/${entry.name}`, entry.size, fileChunks(entry.path));
        }
        progress(`  attachments: ${files.length} file${files.length === 1 ? '' : 's'} (${formatBytes(manifest.attachments.bytes)})`);
        if (key) {
          await archive.add(keyEntry, key);
          progress(`  ${keyEntry}: included (it opens the stored tracker tokens and the other secrets wfhub keeps sealed)`);
        } else if (config.secretKey !== undefined) {
          notes.push('WFHUB_SECRET_KEY is set, so the key that seals the stored tracker tokens (and the other secrets wfhub keeps sealed) is not in this backup: keep WFHUB_SECRET_KEY with it, and set the same one where you restore it.');
        }
        return manifest;
      },
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    );
    const bytes = await archive.finish();
    return { file, bytes, manifest, notes };
  } catch (error) {
    await writer?.abort();
    throw error;
  } finally {
    await rm(holdDir, { recursive: true, force: true });
    await database.close();
  }
}
