import { statSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { version } from '../app/version.js';
import { ConfigError } from '../config/config.js';
import { AppError } from '../core/errors.js';
import { DataDirLockedError } from '../db/data-dir-lock.js';
import { ApiError } from '../app/hub-client.js';
import { agentCommand } from './commands/agent.js';
import { backupCommand } from './commands/backup.js';
import { chatCommand } from './commands/chat.js';
import { importCommand } from './commands/import.js';
import { mcpCommand } from './commands/mcp.js';
import { migrateCommand } from './commands/migrate.js';
import { projectCommand } from './commands/project.js';
import { restoreCommand } from './commands/restore.js';
import { runCommand } from './commands/run.js';
import { serveCommand } from './commands/serve.js';
import { taskCommand } from './commands/task.js';
import { workerCommand } from './commands/worker.js';
import { directorCommand } from './commands/director.js';
import { doctorCommand } from './commands/doctor.js';
import { executorsCommand } from './commands/executors.js';
import { modelsCommand } from './commands/models.js';

const program = new Command('wfhub')
  .description('wfhub: a self-hosted hub for handing software tasks to AI coding agents')
  .version(version)
  .option('-C, --dir <folder>', "run as if started in <folder>: its .env is read and relative paths start there (for an editor starting 'wfhub mcp')")
  .option('--data-dir <dir>', 'where wfhub keeps its data (WFHUB_DATA_DIR, default ./.wfhub; relative to -C when given)')
  .option('--workspaces-dir <dir>', 'where project workspaces live (WFHUB_WORKSPACES_DIR, default ./workspaces)')
  .option('--database-url <url>', 'a postgres:// URL instead of the embedded database (DATABASE_URL)')
  .showHelpAfterError()
  .exitOverride()
  .hook('preAction', () => {
    const { dir } = program.opts<{ dir?: string }>();
    if (dir === undefined) return;
    const folder = path.resolve(dir);
    let isFolder = false;
    try {
      isFolder = statSync(folder).isDirectory();
    } catch {
      // Missing, or a path through a file: not a folder either way.
    }
    if (!isFolder) throw new ConfigError(`--dir ${dir}: there is no folder ${folder}. Give wfhub's folder (where its .env is).`, '--dir');
    process.chdir(folder);
  });

serveCommand(program);
migrateCommand(program);
backupCommand(program);
restoreCommand(program);
projectCommand(program);
taskCommand(program);
agentCommand(program);
chatCommand(program);
importCommand(program);
runCommand(program);
workerCommand(program);
directorCommand(program);
doctorCommand(program);
executorsCommand(program);
modelsCommand(program);
mcpCommand(program);

const expected = [ConfigError, DataDirLockedError, ApiError, AppError];

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has already printed what was wrong with the command line.
    process.exit(error.exitCode);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message}\n`);
  if (!expected.some((kind) => error instanceof kind) && process.env.WFHUB_DEBUG) {
    process.stderr.write(`${(error as Error).stack}\n`);
  }
  process.exit(1);
}
