import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import { ApiError, type HubClient } from '../../app/hub-client.js';
import { secretHider } from '../../core/hide-secrets.js';
import { maxId } from '../../core/schema-helpers.js';
import type { Credential, ExternalTaskListed, Mapping, TrackerInfo } from '../../integrations/integration.schema.js';
import { trackerKinds, type TrackerKind } from '../../integrations/tracker-provider.js';
import type { Project } from '../../projects/project.schema.js';
import { connect } from '../connect.js';
import { plain, table } from '../format.js';
import { importProgress } from '../import-progress.js';
import { configFrom, type GlobalOptions } from '../options.js';
import { interruptible, print, wholeNumber, withClient } from '../run-command.js';
import { chooseCredential } from '../tracker-credential.js';
import { describeProjects, matchProjects, pickTasks } from '../tracker-references.js';
import { readToken } from '../tracker-token.js';

interface ImportOptions {
  from: string;
  into: string;
  tokenEnv?: string;
  tokenStdin?: boolean;
  token?: string;
  credential?: number;
  baseUrl?: string;
  email?: string;
  only?: string[];
  list?: boolean;
  json?: boolean;
}

/** The most failures listed one by one; the count says the rest. */
const failuresShown = 20;

function idList(value: string, previous: string[] = []): string[] {
  const ids = value
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (ids.length === 0) throw new InvalidArgumentError('give task ids separated by commas');
  return [...previous, ...ids];
}

const count = (value: number, noun: string) => `${value} ${noun}${value === 1 ? '' : 's'}`;

/** The error with the token hidden wherever it shows (a message quoting what it was sent). */
function withoutToken(error: unknown, hide: (text: string) => string): unknown {
  if (!(error instanceof Error)) return error;
  const message = hide(error.message);
  if (message === error.message) return error;
  return error instanceof ApiError ? new ApiError(error.status, error.code, message) : new Error(message);
}

export function importCommand(program: Command) {
  program
    .command('import')
    .description("import a tracker project's tasks (Asana, Jira, Linear, GitHub Issues) into a wfhub project, or list them")
    .addArgument(new Argument('<provider>', 'the tracker').choices(trackerKinds))
    .requiredOption('--from <project>', "the tracker's project: GitHub owner/name, Jira key, Linear team key or name, Asana project name or gid")
    .requiredOption('--into <id|name>', 'the wfhub project the tasks go into')
    .addOption(new Option('--token-env <variable>', 'read the token from this environment variable').conflicts(['tokenStdin', 'token', 'credential']))
    .addOption(new Option('--token-stdin', 'read the token from stdin (asked for, unechoed, at a terminal)').conflicts(['token', 'credential']))
    .addOption(new Option('--token <token>', 'the token itself: it stays in the shell history, so prefer the two above').conflicts(['credential']))
    .option('--credential <id>', "a kept credential; by default the tracker's only one", wholeNumber(1, maxId))
    .option('--base-url <url>', "the tracker's API root when not its own: your Jira site, GitHub Enterprise's https://HOST/api/v3")
    .option('--email <email>', "Jira: the email of the token's Atlassian account")
    .option('--only <ids>', 'only these tasks: external ids (as --list shows them), comma-separated', idList)
    .option('--list', "list the tracker project's tasks, and which are imported, instead of importing")
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
The token is checked with the tracker, then kept encrypted: later imports leave it out (the
tracker's only credential is used, or the one --credential names). It is never printed.
Importing again updates what changed on the tracker and never copies a task; an import cut
short (Ctrl-C) keeps what it wrote, and running it again picks up the rest. Progress goes to
stderr, the summary to stdout; the exit code is 1 when anything failed.

Examples:
  wfhub import github --token-env GITHUB_TOKEN --from acme/shop --into Shop
  pass show jira | wfhub import jira --token-stdin --email mia@example.com \\
      --base-url https://example.atlassian.net --from SHOP --into Shop
  wfhub import linear --from ENG --into Shop --list
  wfhub import github --from acme/shop --into Shop --only 12,15 --json`,
    )
    .action(async (provider: TrackerKind, options: ImportOptions) => {
      const token = await readToken(options, { stdin: process.stdin, notices: process.stderr, env: process.env }, `${provider} token (not shown)`);
      const hide = secretHider([token]);
      try {
        await withClient(connect(configFrom(program.opts<GlobalOptions>())), (client) => importFrom(client, provider, options, token));
      } catch (error) {
        throw withoutToken(error, hide);
      }
    });
}

async function importFrom(client: HubClient, provider: TrackerKind, options: ImportOptions, token: string | undefined) {
  const info = (await client.listTrackers()).find((tracker) => tracker.id === provider);
  if (!info) throw new Error(`${client.via} does not import from ${provider}.`);
  if (options.email !== undefined && !info.needs_email) throw new Error(`--email is only for Jira; ${info.name} needs the token alone.`);
  if (token !== undefined && info.needs_email && options.email === undefined) throw new Error(`${info.name} needs --email: the email of the token's account.`);
  if (token !== undefined && info.base_url.required && options.baseUrl === undefined) throw new Error(`${info.name} needs --base-url: ${info.base_url.hint.toLowerCase()}.`);

  const project = await client.findProject(options.into);
  const credential = await chooseCredential(
    client,
    { info, ...(options.credential !== undefined && { id: options.credential }), token, baseUrl: options.baseUrl, email: options.email },
    process.stderr,
  );
  const mapping = await mapProject(client, info, credential, project, options.from);

  const listed = options.list || options.only ? await client.listExternalTasks(mapping.id) : undefined;
  let chosen = listed;
  if (listed && options.only) {
    const { picked, unknown } = pickTasks(options.only, listed);
    if (unknown.length) {
      throw new Error(
        `${plain(mapping.external_project_name)} has no task ${unknown.map((id) => plain(id)).join(', ')} among its ${listed.length}; --list shows them.`,
      );
    }
    chosen = picked;
  }
  if (options.list) return listTasks(chosen!, mapping, options.json);

  const label = `Importing ${plain(mapping.external_project_name)} into ${plain(project.name)}`;
  const progress = importProgress(process.stderr, label);
  progress.start(chosen ? `${count(chosen.length, 'task')} and their subtasks` : `reading the ${info.project_label}'s tasks…`);
  let result;
  try {
    result = await interruptible('Stopping the import after the tasks under way', (signal) =>
      client.importTasks(
        { mapping_id: mapping.id, ...(chosen && { external_ids: chosen.map((task) => task.external_id) }) },
        { onEvent: (event) => event.type === 'import.progress' && progress.update(event.done, event.total), signal },
      ),
    );
  } finally {
    progress.end();
  }
  const { created, updated, unchanged, failed } = result;
  if (options.json) {
    print(true, { project_id: project.id, credential_id: credential.id, mapping_id: mapping.id, external_project_id: mapping.external_project_id, external_project_name: mapping.external_project_name, ...result }, () => '');
  } else {
    process.stdout.write(
      `Imported ${count(created + updated + unchanged, 'task')} into ${plain(project.name)}: ${created} created, ${updated} updated, ${unchanged} unchanged${failed.length ? `, ${failed.length} failed` : ''}\n`,
    );
  }
  for (const failure of failed.slice(0, failuresShown)) process.stderr.write(`failed: ${plain(failure.external_id)}: ${plain(failure.message)}\n`);
  if (failed.length > failuresShown) process.stderr.write(`… and ${failed.length - failuresShown} more failed\n`);
  if (failed.length) process.exitCode = 1;
}

/**
 * The mapping of the tracker's project into the wfhub project: one made before, when `reference`
 * names its project, else the project the credential sees by that name, mapped now.
 */
async function mapProject(client: HubClient, info: TrackerInfo, credential: Credential, project: Project, reference: string): Promise<Mapping> {
  const mapped = (await client.listMappings({ project_id: project.id })).filter((mapping) => mapping.credential_id === credential.id);
  const [known, ...others] = matchProjects(
    reference,
    mapped.map((mapping) => ({ id: mapping.external_project_id, name: mapping.external_project_name, mapping })),
  );
  if (known && others.length === 0) return known.mapping;

  const visible = await client.listExternalProjects(credential.id);
  const matches = matchProjects(reference, visible);
  if (matches.length === 0) {
    throw new Error(
      `${info.name} has no ${info.project_label} "${plain(reference)}" that credential ${credential.id} (${plain(credential.name)}) can see. ${
        visible.length ? `It sees:\n${describeProjects(visible)}` : `It sees none: check what the token may read. ${info.token_help}`
      }`,
    );
  }
  if (matches.length > 1) throw new Error(`"${plain(reference)}" names ${matches.length} ${info.project_label}s; give the id of one:\n${describeProjects(matches)}`);
  return client.createMapping({ credential_id: credential.id, external_project_id: matches[0]!.id, project_id: project.id });
}

function listTasks(tasks: ExternalTaskListed[], mapping: Mapping, json: boolean | undefined) {
  const imported = tasks.filter((task) => task.imported).length;
  print(json, tasks, () =>
    tasks.length === 0
      ? `no tasks in ${plain(mapping.external_project_name)}`
      : `${table(
          ['EXTERNAL ID', 'STATUS', 'IMPORTED', 'TITLE'],
          tasks.map((task) => [plain(task.external_id), task.status, task.task_id ? `#${task.task_id}` : 'no', plain(task.title)]),
        )}\n${count(tasks.length, 'task')} in ${plain(mapping.external_project_name)}, ${imported} imported`,
  );
}
