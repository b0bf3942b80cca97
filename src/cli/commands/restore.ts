import type { Command } from 'commander';
import { summarize } from '../../app/backup/backup-format.js';
import { restoreBackup } from '../../app/backup/restore-backup.js';
import { configFrom, type GlobalOptions } from '../options.js';
import { interruptible, print } from '../run-command.js';

export function restoreCommand(program: Command) {
  program
    .command('restore')
    .description('restore a file made by wfhub backup into the configured database and data dir, which must be empty (a fresh WFHUB_DATA_DIR, or a new PostgreSQL database)')
    .argument('<file>', 'the backup (.tar.gz) to restore')
    .option('--force', 'replace everything the target database holds (its rows and attachment files) instead of refusing a database that is not empty')
    .option('--json', 'print JSON')
    .action(async (file: string, options: { force?: boolean; json?: boolean }) => {
      const config = configFrom(program.opts<GlobalOptions>());
      const result = await interruptible('stopping the restore: everything it did is undone', (signal) =>
        restoreBackup(config, file, { force: options.force, signal, progress: (line) => process.stderr.write(`${line}\n`) }).catch((error: unknown) => {
          if (signal.aborted) throw new Error('the restore was stopped: the database and the data dir are as they were.');
          throw error;
        }),
      );
      for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
      const { manifest } = result;
      print(
        options.json,
        {
          file: result.file,
          database: result.database,
          created_at: manifest.created_at,
          wfhub_version: manifest.wfhub_version,
          from: manifest.database.kind,
          migrations: manifest.migrations,
          tables: Object.fromEntries(manifest.tables.map((table) => [table.name, table.rows])),
          attachments: manifest.attachments,
          runs: result.runs,
          notes: result.notes,
        },
        () => `restored ${summarize(manifest)} from ${result.file} into ${result.database}`,
      );
    });
}
