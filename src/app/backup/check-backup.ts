import { existsSync, statSync } from 'node:fs';
import { InvalidInputError, UnprocessableError } from '../../core/errors.js';
import type { Migration } from '../../db/migration-levels.js';
import { version } from '../version.js';
import { DamagedArchiveError, readArchive, type ArchiveEntry } from './archive-reader.js';
import {
  attachmentsFolder,
  backupFormatVersion,
  keyEntry,
  manifestEntry,
  manifestSchema,
  parseTablePartEntry,
  storedNamePattern,
  type BackupManifest,
} from './backup-format.js';
import { decodeRow, lines } from './jsonl.js';

/** The most a manifest or a key file may be: anything larger is not what wfhub writes. */
const maxSmallEntry = 16 * 1024 * 1024;

export async function readSmall(entry: ArchiveEntry): Promise<Buffer> {
  if (entry.size > maxSmallEntry) throw new Error(`${entry.path} is ${entry.size} bytes, too large`);
  const parts: Buffer[] = [];
  for await (const chunk of entry.chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

function notABackup(file: string, why: string, cause?: unknown): InvalidInputError {
  const error = new InvalidInputError('not_a_backup', `${file} is not a wfhub backup, or it is damaged: ${why}. Nothing was changed.`, { file });
  if (cause !== undefined) Object.assign(error, { cause });
  return error;
}

/** The manifest, checked: a file from a newer wfhub, or from a line of migrations this one does not have, is refused. */
export function checkManifest(file: string, raw: Buffer, migrations: readonly Migration[]): BackupManifest {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw notABackup(file, `${manifestEntry} is not JSON`);
  }
  const version_ = (json as { format_version?: unknown })?.format_version;
  if ((json as { format?: unknown })?.format === 'wfhub-backup' && typeof version_ === 'number' && version_ > backupFormatVersion) {
    throw new UnprocessableError(
      'backup_too_new',
      `${file} was written by a newer wfhub (${String((json as { wfhub_version?: unknown }).wfhub_version)}, backup format ${version_}; this wfhub ${version} reads format ${backupFormatVersion}). Restore it with that version of wfhub or a later one. Nothing was changed.`,
    );
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) throw notABackup(file, `${manifestEntry} is not a wfhub manifest (${parsed.error.issues[0]?.path.join('.') || 'its shape'}: ${parsed.error.issues[0]?.message})`);
  const manifest = parsed.data;
  const { count, last_tag } = manifest.migrations;
  if (count > migrations.length) {
    throw new UnprocessableError(
      'backup_too_new',
      `${file} comes from a database migrated by a newer wfhub (${manifest.wfhub_version}: ${count} migrations, the last ${last_tag}; this wfhub ${version} knows ${migrations.length}). Upgrade wfhub to ${manifest.wfhub_version} or later to restore it. Nothing was changed.`,
      { backup_migrations: count, known_migrations: migrations.length },
    );
  }
  if (count === 0 || migrations[count - 1]!.tag !== last_tag) {
    throw new UnprocessableError(
      'backup_migrations_unknown',
      `${file} was made at migration ${last_tag ?? '(none)'} (${count}), which is not this wfhub's migration ${count} (${migrations[count - 1]?.tag ?? 'none'}): it comes from another build of wfhub. Restore it with the wfhub that made it (${manifest.wfhub_version}). Nothing was changed.`,
    );
  }
  return manifest;
}

/**
 * Reads the whole backup once without writing anything: the manifest first, then every table's
 * rows (each a JSON array of the right width), every attachment and the key, compared with what
 * the manifest says. A truncated, damaged or foreign file is refused here, before a restore
 * opens the database.
 */
export async function checkBackup(file: string, migrations: readonly Migration[]): Promise<BackupManifest> {
  if (!existsSync(file)) throw new InvalidInputError('backup_not_found', `There is no file ${file}: give the path of a backup made by wfhub backup. Nothing was changed.`);
  if (!statSync(file).isFile()) throw new InvalidInputError('backup_not_found', `${file} is not a file: give the path of a backup made by wfhub backup. Nothing was changed.`);
  let manifest: BackupManifest | undefined;
  const rows = new Map<string, number>();
  const lastPart = new Map<string, number>();
  const seenTables: string[] = [];
  let attachments = 0;
  let attachmentBytes = 0;
  let key = false;
  try {
    for await (const entry of readArchive(file)) {
      if (entry.type !== 'File') throw notABackup(file, `it holds ${entry.path}, which is not a file`);
      if (!manifest) {
        if (entry.path !== manifestEntry) throw notABackup(file, `it does not start with ${manifestEntry}`);
        manifest = checkManifest(file, await readSmall(entry), migrations);
        continue;
      }
      const part = parseTablePartEntry(entry.path);
      if (part) {
        const table = manifest.tables.find((candidate) => candidate.name === part.table);
        if (!table) throw notABackup(file, `it holds rows of ${part.table}, a table its manifest does not list`);
        if (part.part !== (lastPart.get(table.name) ?? 0) + 1) throw notABackup(file, `${entry.path} is out of order`);
        if (seenTables.at(-1) !== table.name) {
          if (seenTables.includes(table.name)) throw notABackup(file, `${entry.path} is out of order`);
          seenTables.push(table.name);
        }
        lastPart.set(table.name, part.part);
        let count = rows.get(table.name) ?? 0;
        try {
          for await (const line of lines(entry.chunks)) {
            decodeRow(line, table.columns.length);
            count++;
          }
        } catch (error) {
          if (error instanceof DamagedArchiveError) throw error;
          throw notABackup(file, `${entry.path}: ${(error as Error).message}`);
        }
        rows.set(table.name, count);
        continue;
      }
      if (entry.path.startsWith(`${attachmentsFolder}/`)) {
        const name = entry.path.slice(attachmentsFolder.length + 1);
        if (!storedNamePattern.test(name)) throw notABackup(file, `it holds ${entry.path}, not an attachment wfhub names`);
        for await (const chunk of entry.chunks) attachmentBytes += chunk.length;
        attachments++;
        continue;
      }
      if (entry.path === keyEntry) {
        const text = (await readSmall(entry)).toString('utf8').trim();
        if (Buffer.from(text, 'base64').length !== 32) throw notABackup(file, `its ${keyEntry} does not hold a 32-byte key`);
        key = true;
        continue;
      }
      throw notABackup(file, `it holds ${entry.path}, which a wfhub backup does not`);
    }
  } catch (error) {
    if (error instanceof DamagedArchiveError) throw notABackup(file, error.message, error);
    throw error;
  }
  if (!manifest) throw notABackup(file, 'it is empty');
  for (const table of manifest.tables) {
    const found = rows.get(table.name) ?? 0;
    if (found !== table.rows) throw notABackup(file, `it holds ${found} rows of ${table.name} where its manifest says ${table.rows}`);
  }
  if (attachments !== manifest.attachments.count || attachmentBytes !== manifest.attachments.bytes) {
    throw notABackup(file, `it holds ${attachments} attachments (${attachmentBytes} bytes) where its manifest says ${manifest.attachments.count} (${manifest.attachments.bytes} bytes)`);
  }
  if (key !== manifest.secret_key.included) throw notABackup(file, `its manifest says the key file is ${manifest.secret_key.included ? '' : 'not '}in it, and it is ${key ? '' : 'not'}`);
  return manifest;
}
