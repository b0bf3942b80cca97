import type { Command } from 'commander';
import { maxId } from '../../core/schema-helpers.js';
import { connect } from '../connect.js';
import { table } from '../format.js';
import { configFrom, type GlobalOptions } from '../options.js';
import { day, parseEnvironment, print, wholeNumber, withClient } from '../run-command.js';
import { describePipeline } from '../pipeline-format.js';

const roleList = (value: string) => value.split(',').map((item) => item.trim()).filter(Boolean);

export function projectCommand(program: Command) {
  const project = program.command('project').description('manage projects');

  project
    .command('add <name>')
    .description('create a project (its workspace folder is created under the workspaces dir)')
    .option('-w, --workspace <path>', 'workspace folder inside the workspaces dir (default: from the name)')
    .option('-e, --env <KEY=VALUE>', 'an environment fact for agents, repeatable', parseEnvironment)
    .option('--json', 'print JSON')
    .action(async (name: string, options: { workspace?: string; env?: Record<string, string>; json?: boolean }) => {
      await withClient(connect(configFrom(program.opts<GlobalOptions>())), async (client) => {
        const created = await client.createProject({
          name,
          ...(options.workspace !== undefined && { workspace_path: options.workspace }),
          ...(options.env && { environment: options.env }),
        });
        print(options.json, created, () => `created project ${created.id} "${created.name}" in ${created.workspace_dir}`);
      });
    });

  project
    .command('pipeline <project>')
    .description("show a project's pipeline (by id or name), or set it: --set pm,dev,qa,security,documentation")
    .option('--set <roles>', 'the roles in order, comma-separated', roleList)
    .option('--max-attempts <n>', 'attempts a task gets (a failed gate, a failed run or one interrupted after it changed files uses one) before it is blocked (1-20)', wholeNumber(1, 20))
    .option('--check-timeout <seconds>', 'how long one acceptance check may run (1-3600)', wholeNumber(1, 3600))
    .option('--json', 'print JSON')
    .action(async (reference: string, options: { set?: string[]; maxAttempts?: number; checkTimeout?: number; json?: boolean }) => {
      await withClient(connect(configFrom(program.opts<GlobalOptions>())), async (client) => {
        const found = await client.findProject(reference);
        const changing = options.set !== undefined || options.maxAttempts !== undefined || options.checkTimeout !== undefined;
        const current = await client.getPipeline(found.id);
        const pipeline = changing
          ? await client.setPipeline(found.id, {
              nodes: options.set ?? current.nodes,
              ...(options.maxAttempts !== undefined && { max_attempts: options.maxAttempts }),
              ...(options.checkTimeout !== undefined && { check_timeout_seconds: options.checkTimeout }),
            })
          : current;
        print(options.json, pipeline, () => `${found.name}: ${describePipeline(pipeline)}`);
      });
    });

  project
    .command('list')
    .description('list projects')
    .option('--limit <n>', 'at most this many (1-5000)', wholeNumber(1, 5000), 100)
    .option('--offset <n>', 'skip this many', wholeNumber(0, maxId), 0)
    .option('--json', 'print JSON')
    .action(async (options: { limit: number; offset: number; json?: boolean }) => {
      await withClient(connect(configFrom(program.opts<GlobalOptions>())), async (client) => {
        const page = await client.listProjects({ limit: options.limit, offset: options.offset });
        print(options.json, page.items, () =>
          page.items.length === 0
            ? 'no projects yet: create one with `wfhub project add <name>`'
            : `${table(
                ['ID', 'NAME', 'WORKSPACE', 'CREATED'],
                page.items.map((item) => [item.id, item.name, item.workspace_path, day(item.created_at)]),
              )}\n${page.items.length} of ${page.total} projects`,
        );
      });
    });
}
