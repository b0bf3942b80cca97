import { readFileSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { expect } from 'vitest';
import type { FakeOllama } from '../fakes/fake-ollama.js';

export const toolNames = [
  'list_projects',
  'list_tasks',
  'get_task',
  'get_task_context',
  'create_task',
  'create_subtask',
  'update_task_status',
  'add_comment',
  'trigger_task',
  'get_run',
];

export interface ToolAnswer {
  isError: boolean;
  text: string;
  value: any;
}

/** Calls a tool and returns its text and structured content. */
export async function callTool(client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> {
  const result = await client.callTool({ name, arguments: args });
  const content = result.content as { type: string; text: string }[];
  expect(content).toHaveLength(1);
  expect(content[0]!.type).toBe('text');
  const text = content[0]!.text;
  return { isError: result.isError === true, text, value: result.structuredContent };
}

/** Calls a tool that must succeed; its text is the compact JSON of its structured content. */
export async function useTool(client: Client, name: string, args: Record<string, unknown> = {}): Promise<any> {
  const answer = await callTool(client, name, args);
  expect(answer.isError, answer.text).toBe(false);
  expect(JSON.parse(answer.text)).toEqual(answer.value);
  expect(answer.text).not.toContain('\n  ');
  return answer.value;
}

/** The tool list is small: ten tools, one short line each. */
export async function expectTheTools(client: Client): Promise<void> {
  const { tools } = await client.listTools();
  expect(tools.map((tool) => tool.name).sort()).toEqual([...toolNames].sort());
  for (const tool of tools) {
    expect(tool.description, tool.name).toBeTruthy();
    expect(tool.description!.length, tool.name).toBeLessThanOrEqual(100);
    expect(tool.description, tool.name).not.toContain('\n');
  }
  // A run can be handed to a coding agent's command line.
  const trigger = tools.find((tool) => tool.name === 'trigger_task')!;
  expect((trigger.inputSchema.properties as Record<string, { enum?: string[] }>).executor?.enum).toEqual(['builtin', 'aider', 'claude', 'codex', 'opencode', 'gemini']);
  // About 1.5k tokens for the whole list, schemas included.
  expect(JSON.stringify(tools).length).toBeLessThan(8000);
}

/** Polls get_run until the run has ended. */
export async function runEnded(client: Client, runId: number, events = 0, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await useTool(client, 'get_run', { id: runId, events });
    if (!['queued', 'running'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} did not end within ${timeoutMs} ms: ${JSON.stringify(run)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * What an agent does through the tools: creates a task with criteria, comments on it, changes its
 * status, triggers it (the fake model writes a file and finishes) and follows the run to its end.
 */
export async function taskFlow(client: Client, options: { project: string | number; ollama: FakeOllama; workspaceFile: (name: string) => string }) {
  const task = await useTool(client, 'create_task', {
    project: options.project,
    title: 'Create hello.txt',
    description: 'It says hi.',
    acceptance_criteria: ['hello.txt exists', 'it says hi'],
    node: 'dev',
  });
  expect(task).toMatchObject({ title: 'Create hello.txt', status: 'todo', node_name: 'dev', parent_id: null });

  const subtask = await useTool(client, 'create_subtask', { parent_id: task.id, title: 'Say it in French too', acceptance_criteria: ['bonjour.txt exists'] });
  expect(subtask).toMatchObject({ parent_id: task.id, project_id: task.project_id });

  const comment = await useTool(client, 'add_comment', { task_id: task.id, body: 'Keep it short.' });
  expect(comment).toMatchObject({ task_id: task.id, author: 'mcp', body: 'Keep it short.' });
  const signed = await useTool(client, 'add_comment', { task_id: task.id, body: 'Agreed.', author: 'reviewer' });
  expect(signed.author).toBe('reviewer');

  expect(await useTool(client, 'update_task_status', { id: task.id, status: 'blocked' })).toMatchObject({ id: task.id, status: 'blocked' });
  const blocked = await useTool(client, 'list_tasks', { project: options.project, status: 'blocked' });
  expect(blocked.tasks.map((item: { id: number }) => item.id)).toEqual([task.id]);
  const some = await useTool(client, 'list_tasks', { project: options.project, status: ['todo', 'blocked'], limit: 1 });
  expect(some).toMatchObject({ tasks: [{ id: task.id }], total: 2 });

  const shown = await useTool(client, 'get_task', { id: task.id });
  expect(shown).toMatchObject({ id: task.id, status: 'blocked', description: 'It says hi.' });
  expect(shown.acceptance_criteria.map((item: { text: string }) => item.text)).toEqual(['hello.txt exists', 'it says hi']);
  expect(shown.subtasks).toEqual([expect.objectContaining({ id: subtask.id, title: 'Say it in French too', status: 'todo' })]);
  expect(shown.comments).toMatchObject({ total: 2, recent: [{ author: 'mcp', body: 'Keep it short.' }, { author: 'reviewer', body: 'Agreed.' }] });

  const context = await useTool(client, 'get_task_context', { id: task.id, concise: true });
  expect(context).toMatchObject({ concise: true, task: { id: task.id, title: 'Create hello.txt' } });
  expect(context.acceptance_criteria.map((item: { text: string }) => item.text)).toEqual(['hello.txt exists', 'it says hi']);

  options.ollama.script(
    { toolCalls: [{ name: 'write', arguments: { path: 'hello.txt', content: 'hi\n' } }], promptTokens: 800, completionTokens: 40 },
    { toolCalls: [{ name: 'finish', arguments: { summary: 'Created hello.txt saying hi.' } }], promptTokens: 900, completionTokens: 10 },
  );
  const queued = await useTool(client, 'trigger_task', { id: task.id, message: 'End the file with a newline.' });
  expect(queued).toMatchObject({ task_id: task.id, status: 'queued', message: 'End the file with a newline.' });
  expect(queued).not.toHaveProperty('prompt');

  const run = await runEnded(client, queued.id, 3);
  expect(run).toMatchObject({
    id: queued.id,
    status: 'succeeded',
    summary: 'Created hello.txt saying hi.',
    files_changed: ['hello.txt'],
    steps: 2,
    prompt_tokens: 1700,
    completion_tokens: 50,
  });
  expect(run.events.last).toHaveLength(3);
  expect(run.events.total).toBeGreaterThan(3);
  expect(run.events.last.at(-1).seq).toBe(run.events.total);
  expect(readFileSync(options.workspaceFile('hello.txt'), 'utf8')).toBe('hi\n');

  const after = await useTool(client, 'get_task', { id: task.id });
  expect(after.status).toBe('review');
  expect(after.comments.total).toBe(3);
  expect(after.comments.recent.at(-1)).toMatchObject({ author: 'wfhub' });
  expect(after.comments.recent.at(-1).body).toContain('Created hello.txt saying hi.');
  return { task, run };
}

/** A bad id and bad input are tool results saying what is wrong, not protocol errors. */
export async function expectClearErrors(client: Client): Promise<void> {
  const missing = await callTool(client, 'get_task', { id: 999_999 });
  expect(missing.isError).toBe(true);
  expect(missing.text).toMatch(/task 999999 does not exist/);
  const noRun = await callTool(client, 'get_run', { id: 424_242 });
  expect(noRun).toMatchObject({ isError: true });
  expect(noRun.text).toMatch(/run 424242 does not exist/);
  const noProject = await callTool(client, 'list_tasks', { project: 'Nowhere' });
  expect(noProject.isError).toBe(true);
  expect(noProject.text).toMatch(/project Nowhere does not exist/);
  const badStatus = await callTool(client, 'update_task_status', { id: 1, status: 'finished' });
  expect(badStatus.isError).toBe(true);
  expect(badStatus.text).toMatch(/expected one of "todo"\|"in_progress".* at status/);
  // A misspelt argument is an error, not quietly ignored.
  const typo = await callTool(client, 'update_task_status', { id: 1, status: 'done', stauts: 'done' });
  expect(typo.isError).toBe(true);
  expect(typo.text).toContain('Unrecognized key: "stauts"');
  const reserved = await callTool(client, 'add_comment', { task_id: 1, body: 'hi', author: 'wfhub' });
  expect(reserved.isError).toBe(true);
  expect(reserved.text).toMatch(/kept for the comments wfhub writes itself/);
}
