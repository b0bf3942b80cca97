import type { Command } from 'commander';
import { openDatabase } from '../../db/open-database.js';
import { configFrom, type GlobalOptions } from '../options.js';

export function migrateCommand(program: Command) {
  program
    .command('migrate')
    .description('create or upgrade the database schema (the server also does this at start)')
    .action(async () => {
      const config = configFrom(program.opts<GlobalOptions>());
      process.stderr.write(`migrating ${config.databaseKind === 'pglite' ? 'the embedded database' : 'PostgreSQL'}...\n`);
      const database = await openDatabase(config, { purpose: 'migrate' });
      await database.close();
      process.stdout.write(`database is up to date: ${database.location}\n`);
    });
}
