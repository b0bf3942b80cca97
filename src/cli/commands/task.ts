import { InvalidArgumentError, type Command } from 'commander';
import { maxBlockers, type Task } from '../../tasks/task.schema.js';
import { taskPriorities, taskStatuses, type TaskPriority, type TaskStatus } from '../../tasks/task-fields.js';
import { maxId } from '../../core/schema-helpers.js';
import { ApiError } from '../../app/hub-client.js';
import type { CriterionCreate } from '../../acceptance-criteria/criterion.schema.js';
import { AppError } from '../../core/errors.js';
import { connect } from '../connect.js';
import { table } from '../format.js';
import { configFrom, type GlobalOptions } from '../options.js';
import { day, oneOf, print, wholeNumber, withClient } from '../run-command.js';
import { userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskPipeline } from '../../director/task-pipeline.schema.js';
import { describeTaskPipeline } from '../pipeline-format.js';

function statusList(value: string): TaskStatus[] {
  return value.split(',').map((item) => oneOf(taskStatuses)(item.trim()));
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `3,4` as task ids; `none` (or nothing) is the empty list, which clears them on update. */
function taskIds(value: string): number[] {
  const items = value.split(',').map((item) => item.trim().replace(/^#/, '')).filter(Boolean);
  if (items.length === 1 && items[0] === 'none') return [];
  const id = wholeNumber(1, maxId);
  const ids = [...new Set(items.map((item) => id(item)))];
  if (ids.length > maxBlockers) throw new InvalidArgumentError(`at most ${maxBlockers} tasks`);
  return ids;
}

/** States a pipeline rests in until a person acts. */
const restingStates = ['passed', 'blocked', 'overridden', 'stopped'];

/**
 * Prints the pipeline, then each change of it (polled every second), until it rests or Ctrl-C.
 * A move is a change of state, stage, attempt or run.
 */
async function followPipeline(
  taskId: number,
  first: TaskPipeline | null,
  read: (taskId: number) => Promise<TaskPipeline | null>,
  show: (pipeline: TaskPipeline | null) => void,
): Promise<void> {
  const key = (pipeline: TaskPipeline | null) => (pipeline ? `${pipeline.state}:${pipeline.stage}:${pipeline.attempt}:${pipeline.run_id}:${pipeline.reason}` : 'none');
  const stop = new AbortController();
  const interrupt = () => stop.abort();
  process.once('SIGINT', interrupt);
  try {
    let last = first;
    show(last);
    while (!stop.signal.aborted && !(last && restingStates.includes(last.state))) {
      await sleep(1000, undefined, { signal: stop.signal }).catch(() => undefined);
      if (stop.signal.aborted) break;
      const current = await read(taskId);
      if (key(current) !== key(last)) show(current);
      last = current;
    }
  } finally {
    process.off('SIGINT', interrupt);
  }
}

/** Who runs the command, for an override's record. */
function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'the command line';
  }
}

/** `text::command`: a criterion and the check that proves it, as the task's service takes it. */
function checkedCriterion(value: string, previous: CriterionCreate[] = []): CriterionCreate[] {
  const at = value.indexOf('::');
  const text = at < 0 ? '' : value.slice(0, at).trim();
  const check = at < 0 ? '' : value.slice(at + 2).trim();
  if (!text || !check) throw new InvalidArgumentError('give the criterion and its check separated by "::", e.g. "the tests pass::npm test"');
  return [...previous, { text, check_command: check }];
}

const autopilotHelp = "the director takes the task through its project's pipeline";
const blockedByHelp = 'ids of the tasks it waits for, comma-separated (any project)';

/** The fields `task add` and `task update` share, as the API takes them. */
function sharedFields(options: { autopilot?: boolean; blockedBy?: number[] }) {
  return {
    ...(options.autopilot !== undefined && { autopilot: options.autopilot }),
    ...(options.blockedBy !== undefined && { blocked_by: options.blockedBy }),
  };
}

export function taskCommand(program: Command) {
  const task = program.command('task').description('manage tasks');
  const config = () => configFrom(program.opts<GlobalOptions>());

  task
    .command('add <title>')
    .description('create a task in a project')
    .requiredOption('-p, --project <id|name>', 'the project')
    .option('-d, --description <text>', 'what to do, in detail')
    .option('--parent <id>', 'make it a subtask of this task', wholeNumber(1, maxId))
    .option('-n, --node <name>', 'role: pm, dev, qa, security, documentation')
    .option('-s, --status <status>', `one of ${taskStatuses.join(', ')}`, oneOf(taskStatuses))
    .option('--priority <priority>', `one of ${taskPriorities.join(', ')}`, oneOf(taskPriorities))
    .option('-c, --criterion <text>', 'an acceptance criterion, repeatable', collect)
    .option('-k, --check <text::command>', 'an acceptance criterion with its check, e.g. "the tests pass::npm test" (a command run in the workspace, or a URL), repeatable', checkedCriterion)
    .option('--autopilot', autopilotHelp)
    .option('--no-autopilot', 'leave it to runs started by hand (the default)')
    .option('--blocked-by <ids>', blockedByHelp, taskIds)
    .option('--json', 'print JSON')
    .action(
      async (
        title: string,
        options: {
          project: string;
          description?: string;
          parent?: number;
          node?: string;
          status?: TaskStatus;
          priority?: TaskPriority;
          criterion?: string[];
          check?: CriterionCreate[];
          autopilot?: boolean;
          blockedBy?: number[];
          json?: boolean;
        },
      ) => {
        await withClient(connect(config()), async (client) => {
          const project = await client.findProject(options.project);
          const criteria = [...(options.criterion ?? []), ...(options.check ?? [])];
          const created = await client.createTask({
            project_id: project.id,
            title,
            ...(options.description !== undefined && { description: options.description }),
            ...(options.parent !== undefined && { parent_id: options.parent }),
            ...(options.node !== undefined && { node: options.node }),
            ...(options.status && { status: options.status }),
            ...(options.priority && { priority: options.priority }),
            ...(criteria.length > 0 && { acceptance_criteria: criteria }),
            ...sharedFields(options),
          });
          print(options.json, created, () => `created task ${created.id} "${created.title}" in project ${project.name}`);
        });
      },
    );

  task
    .command('update')
    .description('change a task: only the fields given')
    .argument('<id>', 'the task id', wholeNumber(1, maxId))
    .option('-t, --title <text>', 'the title')
    .option('-d, --description <text>', 'what to do, in detail')
    .option('-n, --node <name>', 'role: pm, dev, qa, security, documentation')
    .option('-s, --status <status>', `one of ${taskStatuses.join(', ')}`, oneOf(taskStatuses))
    .option('--priority <priority>', `one of ${taskPriorities.join(', ')}`, oneOf(taskPriorities))
    .option('--autopilot', autopilotHelp)
    .option('--no-autopilot', 'stop the director taking it further')
    .option('--blocked-by <ids>', `${blockedByHelp}; replaces them, "none" clears them`, taskIds)
    .option('--json', 'print JSON')
    .action(
      async (
        taskId: number,
        options: {
          title?: string;
          description?: string;
          node?: string;
          status?: TaskStatus;
          priority?: TaskPriority;
          autopilot?: boolean;
          blockedBy?: number[];
          json?: boolean;
        },
      ) => {
        await withClient(connect(config()), async (client) => {
          const updated = await client
            .updateTask(taskId, {
              ...(options.title !== undefined && { title: options.title }),
              ...(options.description !== undefined && { description: options.description }),
              ...(options.node !== undefined && { node: options.node }),
              ...(options.status && { status: options.status }),
              ...(options.priority && { priority: options.priority }),
              ...sharedFields(options),
            })
            .catch((error: unknown) => {
              // The message names the API's way; this is the command line's.
              if ((error instanceof ApiError || error instanceof AppError) && error.code === 'gates_not_passed') {
                throw new ApiError(409, error.code, `${error.message}\nFrom the command line: wfhub task override ${taskId} --reason "why"`);
              }
              throw error;
            });
          print(options.json, updated, () => `updated task ${updated.id} "${updated.title}"\n${statusLine(updated)}\n${autopilotLine(updated)}`);
        });
      },
    );

  task
    .command('list')
    .description("list a project's tasks")
    .requiredOption('-p, --project <id|name>', 'the project')
    .option('-s, --status <statuses>', 'only these statuses, comma-separated', statusList)
    .option('--limit <n>', 'at most this many (1-5000)', wholeNumber(1, 5000), 100)
    .option('--offset <n>', 'skip this many', wholeNumber(0, maxId), 0)
    .option('--json', 'print JSON')
    .action(async (options: { project: string; status?: TaskStatus[]; limit: number; offset: number; json?: boolean }) => {
      await withClient(connect(config()), async (client) => {
        const project = await client.findProject(options.project);
        const page = await client.listTasks(project.id, {
          ...(options.status && { status: options.status }),
          limit: options.limit,
          offset: options.offset,
        });
        print(options.json, page.items, () =>
          page.items.length === 0
            ? `no tasks in ${project.name}: add one with \`wfhub task add "<title>" --project ${project.id}\``
            : `${table(
                ['ID', 'STATUS', 'NODE', 'PARENT', 'TITLE'],
                page.items.map((item) => [item.id, item.status, item.node_name ?? '', item.parent_id ?? '', item.title]),
              )}\n${page.items.length} of ${page.total} tasks`,
        );
      });
    });

  task
    .command('show')
    .description('show a task with its criteria, subtasks and comments')
    .argument('<id>', 'the task id', wholeNumber(1, maxId))
    .option('--json', 'print JSON')
    .action(async (taskId: number, options: { json?: boolean }) => {
      await withClient(connect(config()), async (client) => {
        const found = await client.getTask(taskId);
        const [criteria, subtasks, comments, pipeline] = await Promise.all([
          client.listCriteria(taskId),
          client.listSubtasks(found),
          client.listComments(taskId),
          client.getTaskPipeline(taskId),
        ]);
        print(options.json, { ...found, acceptance_criteria: criteria, subtasks, comments, pipeline }, () => {
          const text = describeTask(found, criteria, subtasks, comments);
          return pipeline ? `${text}\n\nPipeline: ${describeTaskPipeline(pipeline).replaceAll('\n', '\n  ')}` : text;
        });
      });
    });

  task
    .command('pipeline')
    .description("where a task on autopilot is in its project's pipeline: the stage, the attempt, the last failed gate")
    .argument('<id>', 'the task id', wholeNumber(1, maxId))
    .option('-f, --follow', 'keep printing each move until the pipeline passes, blocks or stops (Ctrl-C ends it)')
    .option('--json', 'print JSON (with --follow, one line per move)')
    .action(async (taskId: number, options: { follow?: boolean; json?: boolean }) => {
      await withClient(connect(config()), async (client) => {
        const pipeline = await client.getTaskPipeline(taskId);
        const describe = (current: typeof pipeline) =>
          current ? describeTaskPipeline(current) : `task ${taskId} is not in a pipeline: put it on autopilot with \`wfhub task update ${taskId} --autopilot\``;
        if (!options.follow) {
          print(options.json, pipeline, () => describe(pipeline));
          return;
        }
        await followPipeline(taskId, pipeline, (id) => client.getTaskPipeline(id), (current) =>
          process.stdout.write(`${options.json ? JSON.stringify(current) : `${new Date().toISOString().slice(11, 19)} ${describe(current)}`}\n`),
        );
      });
    });

  task
    .command('override')
    .description('mark a task done although its gates did not pass, recording who decided and why')
    .argument('<id>', 'the task id', wholeNumber(1, maxId))
    .requiredOption('-r, --reason <text>', 'why it is done anyway')
    .option('--by <name>', 'who decides (default: your user name)')
    .option('--json', 'print JSON')
    .action(async (taskId: number, options: { reason: string; by?: string; json?: boolean }) => {
      await withClient(connect(config()), async (client) => {
        const done = await client.overrideTask(taskId, { by: options.by ?? currentUser(), reason: options.reason });
        print(options.json, done, () => `task ${done.id} "${done.title}" is done (overridden: ${options.reason})`);
      });
    });

  task
    .command('context')
    .description('everything an agent is told about a task, as JSON: project, criteria, comments, git, discovery')
    .argument('<id>', 'the task id', wholeNumber(1, maxId))
    .option('--concise', 'the short form')
    .option('--json', 'print JSON (it always does; taken like the other commands take it)')
    .action(async (taskId: number, options: { concise?: boolean }) => {
      await withClient(connect(config()), async (client) => {
        print(true, await client.getTaskContext(taskId, { concise: options.concise === true }), () => '');
      });
    });

  task
    .command('prompt')
    .description('the exact prompt a run of the task would send now, fitted to the model\'s window')
    .argument('<id>', 'the task id', wholeNumber(1, maxId))
    .option('-n, --node <name>', "the role (the task's by default)")
    .option('-m, --model <name>', 'the model (the role\'s, the project\'s or the default)')
    .option('--message <text>', 'what a trigger would add')
    .option('--json', 'print JSON')
    .action(async (taskId: number, options: { node?: string; model?: string; message?: string; json?: boolean }) => {
      await withClient(connect(config()), async (client) => {
        const preview = await client.previewPrompt(taskId, {
          ...(options.node && { node: options.node }),
          ...(options.model && { model: options.model }),
          ...(options.message && { message: options.message }),
        });
        print(options.json, preview, () => {
          const trimmed = preview.sections.filter((section) => section.state !== 'kept').map((section) => `${section.id} (${section.state})`);
          return [
            `model ${preview.model}${preview.node ? `, role ${preview.node}` : ''}, window ${preview.num_ctx} tokens, ${preview.protocol} tools`,
            `about ${preview.estimated_tokens} of ${preview.budget} tokens; trimmed: ${trimmed.length ? trimmed.join(', ') : 'nothing'}`,
            ...(preview.warning ? [`warning: ${preview.warning}`] : []),
            '',
            '--- system ---',
            preview.system,
            '',
            '--- task ---',
            preview.user,
          ].join('\n');
        });
      });
    });
}

function statusLine(task: Task): string {
  return `status: ${task.status}   priority: ${task.priority}   node: ${task.node_name ?? '-'}   project: ${task.project_id}${
    task.parent_id ? `   parent: #${task.parent_id}` : ''
  }`;
}

function autopilotLine(task: Task): string {
  const blockers = task.blocked_by.length ? task.blocked_by.map((id) => `#${id}`).join(', ') : '-';
  return `autopilot: ${task.autopilot ? 'on' : 'off'}   blocked by: ${blockers}`;
}

function describeTask(
  task: Task,
  criteria: { text: string; done: boolean; check: string | null }[],
  subtasks: Task[],
  comments: { author: string; body: string; created_at: Date | string }[],
): string {
  const lines = [`#${task.id} ${task.title}`, statusLine(task), autopilotLine(task)];
  if (task.description) lines.push('', task.description);
  if (criteria.length) {
    lines.push('', 'Acceptance criteria:');
    for (const criterion of criteria) {
      lines.push(`  [${criterion.done ? 'x' : ' '}] ${criterion.text}${criterion.check ? `  (check: ${criterion.check})` : ''}`);
    }
  }
  if (subtasks.length) {
    lines.push('', 'Subtasks:');
    for (const subtask of subtasks) lines.push(`  #${subtask.id} [${subtask.status}] ${subtask.title}`);
  }
  if (comments.length) {
    lines.push('', 'Comments:');
    for (const comment of comments) lines.push(`  ${comment.author} on ${day(comment.created_at)}: ${comment.body}`);
  }
  return lines.join('\n');
}
