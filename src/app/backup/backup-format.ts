import { z } from 'zod';

/**
 * A wfhub backup is one gzipped tar file:
 *
 *   manifest.json                     first: what the rest holds (below)
 *   tables/<table>/<part>.jsonl       each table's rows in primary-key order, in parts of a few MB;
 *                                     one JSON array per line, a value per column in the manifest's
 *                                     order: PostgreSQL's own text for it (exact for timestamps,
 *                                     jsonb, bytea, numeric), or null
 *   attachments/<stored name>         the attachments' files
 *   secret.key                        the credential cipher's key file, unless WFHUB_SECRET_KEY is set
 */
export const backupFormat = 'wfhub-backup';
export const backupFormatVersion = 1;

export const manifestEntry = 'manifest.json';
export const keyEntry = 'secret.key';
export const attachmentsFolder = 'attachments';

/** A table's part: `tables/tasks/000001.jsonl`. */
export function tablePartEntry(table: string, part: number): string {
  return `tables/${table}/${String(part).padStart(6, '0')}.jsonl`;
}

const tablePartPattern = /^tables\/([a-z_][a-z0-9_]*)\/(\d{6})\.jsonl$/;

export function parseTablePartEntry(entry: string): { table: string; part: number } | undefined {
  const match = tablePartPattern.exec(entry);
  return match ? { table: match[1]!, part: Number(match[2]) } : undefined;
}

/** Attachment files have names wfhub generated (UUIDs): nothing else is ever written from a backup. */
export const storedNamePattern = /^[0-9a-f-]{36}$/;

/** A part is closed once it holds this much; a row is never split. */
export const partBytes = 4 * 1024 * 1024;

const manifestTable = z.object({
  name: z.string().regex(/^[a-z_][a-z0-9_]*$/),
  columns: z.array(z.object({ name: z.string().min(1), type: z.string().min(1) })).min(1),
  primary_key: z.array(z.string()),
  rows: z.number().int().nonnegative(),
});

export const manifestSchema = z.object({
  format: z.literal(backupFormat),
  format_version: z.number().int().positive(),
  wfhub_version: z.string(),
  created_at: z.string(),
  database: z.object({ kind: z.enum(['pglite', 'postgres']), server_version: z.string().optional() }),
  migrations: z.object({ count: z.number().int().nonnegative(), last_tag: z.string().nullable() }),
  tables: z.array(manifestTable),
  attachments: z.object({ count: z.number().int().nonnegative(), bytes: z.number().int().nonnegative(), missing: z.number().int().nonnegative().default(0) }),
  secret_key: z.object({
    /** Whether secret.key is in the file. */
    included: z.boolean(),
    /** `key_file` (the data dir's, included), `environment` (WFHUB_SECRET_KEY, never included) or `none`. */
    source: z.enum(['key_file', 'environment', 'none']),
  }),
});

export type BackupManifest = z.infer<typeof manifestSchema>;
export type ManifestTable = BackupManifest['tables'][number];

/** Rows of a table, for the summary line: 0 when the backup has no such table. */
export function rowsOf(manifest: Pick<BackupManifest, 'tables'>, table: string): number {
  return manifest.tables.find((entry) => entry.name === table)?.rows ?? 0;
}

/** `3.2 MB`, `120 KB`, `512 B`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${bytes} B`;
}

/** "3 projects, 120 tasks, 45 runs, 12 attachments (3.2 MB)" */
export function summarize(manifest: Pick<BackupManifest, 'tables' | 'attachments'>): string {
  const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  return [
    count(rowsOf(manifest, 'projects'), 'project'),
    count(rowsOf(manifest, 'tasks'), 'task'),
    count(rowsOf(manifest, 'task_runs'), 'run'),
    `${count(manifest.attachments.count, 'attachment')} (${formatBytes(manifest.attachments.bytes)})`,
  ].join(', ');
}
