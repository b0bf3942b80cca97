import type { Command } from 'commander';
import { summarize } from '../../app/backup/backup-format.js';
import { createBackup } from '../../app/backup/create-backup.js';
import { configFrom, type GlobalOptions } from '../options.js';
import { interruptible, print } from '../run-command.js';

export function backupCommand(program: Command) {
  program
    .command('backup')
    .description('write the database (embedded or PostgreSQL), the attachments and the credential key into one file (it holds secrets: keep it safe)')
    .argument('[file]', 'the file to write (default: wfhub-backup-<UTC time>.tar.gz here; given a folder, that name in it)')
    .option('--json', 'print JSON')
    .action(async (file: string | undefined, options: { json?: boolean }) => {
      const config = configFrom(program.opts<GlobalOptions>());
      const result = await interruptible('stopping the backup', (signal) =>
        createBackup(config, { file, signal, progress: (line) => process.stderr.write(`${line}\n`) }).catch((error: unknown) => {
          if (signal.aborted) throw new Error('the backup was stopped: no file was written.');
          throw error;
        }),
      );
      for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
      const { manifest } = result;
      print(
        options.json,
        {
          file: result.file,
          bytes: result.bytes,
          created_at: manifest.created_at,
          wfhub_version: manifest.wfhub_version,
          database: manifest.database.kind,
          migrations: manifest.migrations,
          tables: Object.fromEntries(manifest.tables.map((table) => [table.name, table.rows])),
          attachments: manifest.attachments,
          secret_key: manifest.secret_key,
          notes: result.notes,
        },
        () => `backed up ${summarize(manifest)} to ${result.file}`,
      );
    });
}
