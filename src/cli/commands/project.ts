import type { Command } from 'commander';
import { maxId } from '../../core/schema-helpers.js';
import { connect } from '../connect.js';
import { table } from '../format.js';
import { configFrom, type GlobalOptions } from '../options.js';
import { day, parseEnvironment, print, wholeNumber, withClient } from '../run-command.js';
import { describePipeline } from '../pipeline-format.js';
import { webhookEvents, type WebhookEvent } from '../../webhooks/webhook.schema.js';

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
    .command('webhooks <project>')
    .description("list a project's webhooks (by id or name), add one (--add URL --events run.finished,task.status_changed) or remove one (--remove ID)")
    .option('--add <url>', 'add a webhook POSTing to this http(s) URL; its secret is printed this once')
    .option('--events <events>', `with --add: the events, comma-separated (${webhookEvents.join(', ')}; default all)`, roleList)
    .option('--remove <id>', 'delete this webhook and its delivery log', wholeNumber(1, maxId))
    .option('--json', 'print JSON')
    .action(async (reference: string, options: { add?: string; events?: string[]; remove?: number; json?: boolean }) => {
      if (options.add !== undefined && options.remove !== undefined) throw new Error('--add and --remove go one at a time');
      if (options.events !== undefined && options.add === undefined) throw new Error('--events goes with --add');
      const unknown = options.events?.find((event) => !(webhookEvents as readonly string[]).includes(event));
      if (unknown !== undefined) throw new Error(`there is no event "${unknown}": the events are ${webhookEvents.join(', ')}`);
      await withClient(connect(configFrom(program.opts<GlobalOptions>())), async (client) => {
        const found = await client.findProject(reference);
        if (options.add !== undefined) {
          const created = await client.createWebhook(found.id, { url: options.add, events: (options.events ?? [...webhookEvents]) as WebhookEvent[] });
          print(options.json, created, () =>
            [
              `added webhook ${created.id} to ${found.name}: ${created.url} (${created.events.join(', ')})`,
              `secret: ${created.secret}`,
              'Keep the secret now: it is not shown again. Each delivery has X-Wfhub-Signature: sha256=<HMAC-SHA256 of the body with it>.',
            ].join('\n'),
          );
          return;
        }
        if (options.remove !== undefined) {
          const listed = await client.listWebhooks(found.id);
          // Only this project's: an id from another project's list is a typo, not a delete.
          if (!listed.some((webhook) => webhook.id === options.remove)) {
            throw new Error(`${found.name} has no webhook ${options.remove}: \`wfhub project webhooks ${reference}\` lists its webhooks.`);
          }
          await client.deleteWebhook(options.remove);
          print(options.json, { deleted: options.remove }, () => `removed webhook ${options.remove} from ${found.name}`);
          return;
        }
        const webhooks = await client.listWebhooks(found.id);
        print(options.json, webhooks, () =>
          webhooks.length === 0
            ? `${found.name} has no webhooks: add one with \`wfhub project webhooks ${reference} --add https://… --events run.finished\``
            : table(
                ['ID', 'URL', 'EVENTS', 'ACTIVE', 'SECRET', 'LAST DELIVERY'],
                webhooks.map((webhook) => [
                  webhook.id,
                  webhook.url,
                  webhook.events.join(','),
                  webhook.active ? 'yes' : 'no',
                  webhook.secret_hint,
                  webhook.last_delivery
                    ? `${webhook.last_delivery.event} ${webhook.last_delivery.status}${webhook.last_delivery.last_status_code === null ? '' : ` (${webhook.last_delivery.last_status_code})`} ${day(webhook.last_delivery.created_at)}`
                    : 'none',
                ]),
                80,
              ),
        );
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
