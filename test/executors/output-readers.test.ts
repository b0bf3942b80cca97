import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandLineAgents, type CommandLineAgent } from '../../src/executors/command-line-agents.js';
import type { ExecutorEvent } from '../../src/executors/executor.js';
import { tempDir } from '../helpers/temp-dir.js';

const fakes = path.resolve('test/fakes/cli');

/** What the fake of `agent` prints in `mode`, read line by line as the runner reads it. */
function read(agent: CommandLineAgent, mode: string, cwd: string) {
  const { args } = agent.invocation({ prompt: 'Write a file.', model: 'qwen2.5-coder:3b', ollamaHost: 'http://127.0.0.1:11434', numCtx: 8192, scratchDir: cwd });
  const ran = spawnSync(path.join(fakes, agent.command), args, { cwd, env: { ...process.env, WFHUB_FAKE_MODE: mode }, encoding: 'utf8' });
  const reader = agent.reader();
  const events: ExecutorEvent[] = [];
  for (const line of ran.stdout.split('\n')) events.push(...reader.line(line));
  return { events, summary: reader.end(), status: ran.status };
}

let work: ReturnType<typeof tempDir>;
beforeEach(() => {
  work = tempDir('wfhub-readers-');
});
afterEach(() => work.cleanup());

describe.each(Object.values(commandLineAgents))('reading $title output', (agent) => {
  it('tells its text, its tool calls with their results, and its usage', () => {
    const { events, summary, status } = read(agent, 'ok', work.dir);
    expect(status).toBe(0);
    expect(readFileSync(path.join(work.dir, `fake-${agent.name}.txt`), 'utf8')).toBe(`written by fake ${agent.name}\n`);

    const called = events.filter((event) => event.type === 'tool.called');
    const results = events.filter((event) => event.type === 'tool.result');
    expect(called.length).toBeGreaterThan(0);
    // Every call is answered by a result with the same id, and the file write is among them.
    for (const call of called) expect(results.some((result) => result.call_id === call.call_id)).toBe(true);
    expect(results.every((result) => result.ok)).toBe(true);
    expect(JSON.stringify(called)).toContain(`fake-${agent.name}.txt`);

    const text = events.filter((event) => event.type === 'llm.delta' && event.kind === 'text').map((event) => (event as { text: string }).text).join('');
    expect(text.length).toBeGreaterThan(0);
    expect(events.some((event) => event.type === 'llm.response')).toBe(true);

    expect(summary.ok).toBe(true);
    expect(summary.error).toBeUndefined();
    expect(summary.summary).toMatch(new RegExp(`fake-${agent.name}\\.txt|written by fake`));
    expect(summary.prompt_tokens).toBeGreaterThan(0);
    expect(summary.completion_tokens).toBeGreaterThan(0);
    expect(summary.steps).toBeGreaterThan(0);
    expect(summary.tool_calls).toBe(called.length);
  });

  it("reads the tool's own failure report as a failure, in its words", () => {
    const { summary } = read(agent, 'fail', work.dir);
    expect(summary.ok).toBe(false);
    expect(summary.error).toMatch(/401|API key|Quota|Connection refused/i);
    expect(existsSync(path.join(work.dir, `fake-${agent.name}.txt`))).toBe(false);
  });

  it('reads output cut short (the tool crashed) as a failure', () => {
    const { summary, status } = read(agent, 'exit', work.dir);
    expect(status).toBe(3);
    expect(summary.ok).toBe(false);
    // Nothing in its own words: the runner tells what it said on stderr instead.
    expect(summary.error).toBeUndefined();
    const quiet = read(agent, 'quiet', work.dir);
    expect(quiet.status).toBe(0);
    expect(quiet.summary.ok).toBe(false);
  });

  it('ignores lines that are not its format (Aider: any other line is the reply)', () => {
    const reader = agent.reader();
    expect(reader.line('')).toEqual([]);
    const stray = reader.line('{not json');
    if (agent.name === 'aider') expect(stray).toEqual([{ type: 'llm.delta', step: 1, kind: 'text', text: '{not json\n' }]);
    else expect(stray).toEqual([]);
    expect(reader.line('{"type":"something.new","x":1}').filter((event) => event.type !== 'llm.delta')).toEqual([]);
  });
});

describe('reading each format in detail', () => {
  it('Claude Code: content blocks of one message are one step, tokens are the result line’s', () => {
    const reader = commandLineAgents.claude.reader();
    const lines = execFileSync(path.join(fakes, 'claude'), ['-p', 'x'], { cwd: work.dir, env: { ...process.env, WFHUB_FAKE_MODE: 'ok' }, encoding: 'utf8' }).split('\n');
    const events = lines.flatMap((line) => reader.line(line));
    const responses = events.filter((event) => event.type === 'llm.response');
    expect(responses.map((event) => event.step)).toEqual([1, 2]);
    expect(responses[0]).toMatchObject({ tool_calls: 1, finish_reason: 'tool-calls', prompt_tokens: 1000, completion_tokens: 40 });
    expect(events.find((event) => event.type === 'llm.delta' && event.kind === 'reasoning')).toMatchObject({ text: 'The task wants a file.' });
    expect(events.find((event) => event.type === 'tool.result')).toMatchObject({ name: 'Write', output: 'File created successfully at: fake-claude.txt' });
    expect(reader.end()).toMatchObject({ prompt_tokens: 2000, completion_tokens: 60, steps: 2, model: 'claude-sonnet-4-5', summary: 'Wrote fake-claude.txt.' });
  });

  it('Codex: a command is a shell call with its output and exit code; a file change names its files', () => {
    const reader = commandLineAgents.codex.reader();
    const events = [
      { type: 'turn.started' },
      { type: 'item.started', item: { id: 'a', type: 'command_execution', command: 'npm test', status: 'in_progress' } },
      { type: 'item.completed', item: { id: 'a', type: 'command_execution', command: 'npm test', aggregated_output: '1 failed', exit_code: 1, status: 'failed' } },
      { type: 'item.completed', item: { id: 'b', type: 'file_change', changes: [{ path: 'src/a.ts', kind: 'update' }], status: 'completed' } },
      { type: 'turn.completed', usage: { input_tokens: 50, cached_input_tokens: 10, output_tokens: 5 } },
    ].flatMap((event) => reader.line(JSON.stringify(event)));
    expect(events.filter((event) => event.type === 'tool.called')).toHaveLength(2);
    expect(events.find((event) => event.type === 'tool.result' && event.call_id === 'a')).toMatchObject({ name: 'shell', ok: false, output: '1 failed\n(exit code 1)' });
    expect(events.find((event) => event.type === 'tool.result' && event.call_id === 'b')).toMatchObject({ name: 'edit', ok: true, files_changed: ['src/a.ts'] });
    expect(reader.end()).toMatchObject({ ok: true, prompt_tokens: 50, completion_tokens: 5, steps: 1, tool_calls: 2 });
  });

  it('OpenCode: a tool that failed is a failed result with its error', () => {
    const reader = commandLineAgents.opencode.reader();
    const events = reader.line(JSON.stringify({ type: 'tool_use', part: { type: 'tool', callID: 'c1', tool: 'bash', state: { status: 'error', input: { command: 'make' }, error: 'make: not found' } } }));
    expect(events).toEqual([
      expect.objectContaining({ type: 'tool.called', call_id: 'c1', name: 'bash', arguments: { command: 'make' } }),
      expect.objectContaining({ type: 'tool.result', call_id: 'c1', ok: false, output: 'make: not found' }),
    ]);
  });

  it('Gemini CLI: chunks of one reply are one step, a new reply after tool results is the next', () => {
    const reader = commandLineAgents.gemini.reader();
    const lines = execFileSync(path.join(fakes, 'gemini'), ['--prompt', 'x'], { cwd: work.dir, env: { ...process.env, WFHUB_FAKE_MODE: 'ok' }, encoding: 'utf8' }).split('\n');
    const events = lines.flatMap((line) => reader.line(line));
    expect(events.filter((event) => event.type === 'llm.response').map((event) => [event.step, (event as { text: string }).text])).toEqual([
      [1, 'Writing the file.'],
      [2, 'Wrote fake-gemini.txt.'],
    ]);
    // The user's own message is not the model's text.
    expect(events.some((event) => event.type === 'llm.delta' && event.text === 'x')).toBe(false);
    expect(reader.end()).toMatchObject({ prompt_tokens: 1500, completion_tokens: 30, model: 'gemini-2.5-flash' });
  });

  it('Aider: token counts with k and M, several edits, and a model error with no call after it', () => {
    const reader = commandLineAgents.aider.reader();
    const events = ['Main model: ollama_chat/qwen3:4b with diff edit format', 'Done.', 'Applied edit to a.py', 'Applied edit to b/c.py', 'Tokens: 2.5k sent, 1.1M received. Cost: $0.00 message, $0.00 session.'].flatMap((line) => reader.line(line));
    expect(events.filter((event) => event.type === 'tool.result').map((event) => (event as { files_changed?: string[] }).files_changed)).toEqual([['a.py'], ['b/c.py']]);
    expect(reader.end()).toMatchObject({ ok: true, prompt_tokens: 2500, completion_tokens: 1_100_000, steps: 1, tool_calls: 2, model: 'ollama_chat/qwen3:4b', summary: 'Done.' });

    const failing = commandLineAgents.aider.reader();
    failing.line('Tokens: 10 sent, 2 received.');
    expect(failing.line('litellm.APIConnectionError: OllamaException - Connection refused')[0]).toMatchObject({ type: 'run.warning', code: 'executor_error' });
    expect(failing.end()).toMatchObject({ ok: false, error: 'litellm.APIConnectionError: OllamaException - Connection refused' });
  });
});
