// A stand-in for a coding agent's command line (aider, claude, codex, opencode, gemini) that
// prints that tool's documented output format. Told what to do by environment variables:
//   WFHUB_FAKE_MODE     ok (default): writes a file, reports success with usage
//                       fail: the tool's own failure report (and its exit code)
//                       exit: some output, then exit code 3 with a message on stderr
//                       quiet: starts, then exits 0 without reporting a result
//                       hang: starts, then waits forever with a child `sleep WFHUB_FAKE_MARKER`
//   WFHUB_FAKE_FILE     the file written in the working directory (fake-<tool>.txt)
//   WFHUB_FAKE_RECORD   a file in the working directory to write argv, environment and probes to
//   WFHUB_FAKE_PROBE    paths (separated by ':') whose visibility is recorded (hidden by the sandbox?)
//   WFHUB_FAKE_MARKER   the seconds the hanging child sleeps: a marker tests find it by
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const tool = path.basename(process.argv[1]);
const args = process.argv.slice(2);
const mode = process.env.WFHUB_FAKE_MODE ?? 'ok';
const file = process.env.WFHUB_FAKE_FILE ?? `fake-${tool}.txt`;
const content = `written by fake ${tool}\n`;

const versions = { aider: 'aider 0.86.1', claude: '2.0.14 (Claude Code)', codex: 'codex-cli 0.46.0', opencode: '0.15.0', gemini: '0.9.0' };
if (args[0] === '--version') {
  if (mode === 'broken') {
    process.stderr.write(`fake ${tool}: cannot start\n`);
    process.exit(1);
  }
  process.stdout.write(`${versions[tool]}\n`);
  process.exit(0);
}

const say = (value) => process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
const valueAfter = (flag) => {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
};
const prompt = tool === 'aider' ? valueAfter('--message') : tool === 'claude' ? valueAfter('-p') : tool === 'gemini' ? valueAfter('--prompt') : args.at(-1);

if (process.env.WFHUB_FAKE_RECORD) {
  const settingsFile = valueAfter('--model-settings-file');
  const probe = process.env.WFHUB_FAKE_PROBE;
  writeFileSync(
    process.env.WFHUB_FAKE_RECORD,
    JSON.stringify({
      tool,
      argv: args,
      prompt,
      cwd: process.cwd(),
      env: { OLLAMA_API_BASE: process.env.OLLAMA_API_BASE ?? null, WFHUB_SECRET_KEY: process.env.WFHUB_SECRET_KEY ?? null, TERM: process.env.TERM ?? null },
      model_settings: settingsFile && existsSync(settingsFile) ? readFileSync(settingsFile, 'utf8') : null,
      probe: probe ? probe.split(':').map((entry) => ({ path: entry, visible: existsSync(entry) })) : null,
    }),
  );
}

function hang(started) {
  say(started);
  const child = spawn('sleep', [process.env.WFHUB_FAKE_MARKER ?? '3600'], { stdio: 'ignore' });
  child.on('exit', () => process.exit(0));
  setInterval(() => {}, 1000);
}

function quiet(started) {
  say(started);
  process.exit(0);
}

function crash(started) {
  say(started);
  process.stderr.write(`fake ${tool}: lost the connection to the model\n`);
  process.exit(3);
}

const write = () => writeFileSync(file, content);

const tools = {
  claude() {
    const init = { type: 'system', subtype: 'init', session_id: 'session-1', model: 'claude-sonnet-4-5', cwd: process.cwd(), tools: ['Read', 'Write', 'Bash'] };
    if (mode === 'hang') return hang(init);
    if (mode === 'exit') return crash(init);
    if (mode === 'quiet') return quiet(init);
    say(init);
    if (mode === 'fail') {
      say({ type: 'result', subtype: 'error_during_execution', is_error: true, result: 'API Error: 401 invalid x-api-key', num_turns: 1, usage: { input_tokens: 10, output_tokens: 0 } });
      process.exit(1);
    }
    say({ type: 'assistant', message: { id: 'msg_1', model: 'claude-sonnet-4-5', content: [{ type: 'thinking', thinking: 'The task wants a file.' }], usage: { input_tokens: 900, cache_read_input_tokens: 100, output_tokens: 40 } } });
    say({ type: 'assistant', message: { id: 'msg_1', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'I will write the file.' }], usage: { input_tokens: 900, cache_read_input_tokens: 100, output_tokens: 40 } } });
    say({ type: 'assistant', message: { id: 'msg_1', model: 'claude-sonnet-4-5', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Write', input: { file_path: file, content } }], stop_reason: 'tool_use', usage: { input_tokens: 900, cache_read_input_tokens: 100, output_tokens: 40 } } });
    write();
    say({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: `File created successfully at: ${file}` }] }] } });
    say({ type: 'assistant', message: { id: 'msg_2', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: `Wrote ${file}.` }], stop_reason: 'end_turn', usage: { input_tokens: 1000, output_tokens: 20 } } });
    say({ type: 'result', subtype: 'success', is_error: false, result: `Wrote ${file}.`, num_turns: 2, duration_ms: 1200, usage: { input_tokens: 1900, cache_read_input_tokens: 100, output_tokens: 60 } });
  },
  codex() {
    const started = { type: 'thread.started', thread_id: '0199a213-81c0-7800-8aa1-bbab2a035a53' };
    if (mode === 'hang') return hang(started);
    if (mode === 'exit') return crash(started);
    if (mode === 'quiet') return quiet(started);
    say(started);
    say({ type: 'turn.started' });
    if (mode === 'fail') {
      say({ type: 'error', message: 'stream disconnected before completion' });
      say({ type: 'turn.failed', error: { message: 'unexpected status 401 Unauthorized' } });
      process.exit(1);
    }
    say({ type: 'item.completed', item: { id: 'item_0', type: 'reasoning', text: '**Writing the file**' } });
    say({ type: 'item.started', item: { id: 'item_1', type: 'command_execution', command: 'bash -lc ls', aggregated_output: '', exit_code: null, status: 'in_progress' } });
    say({ type: 'item.completed', item: { id: 'item_1', type: 'command_execution', command: 'bash -lc ls', aggregated_output: 'README.md\n', exit_code: 0, status: 'completed' } });
    write();
    say({ type: 'item.completed', item: { id: 'item_2', type: 'file_change', changes: [{ path: file, kind: 'add' }], status: 'completed' } });
    say({ type: 'item.completed', item: { id: 'item_3', type: 'agent_message', text: `Wrote ${file}.` } });
    say({ type: 'turn.completed', usage: { input_tokens: 1200, cached_input_tokens: 200, output_tokens: 345 } });
  },
  opencode() {
    const started = { type: 'step_start', timestamp: Date.now(), sessionID: 'ses_1', part: { type: 'step-start' } };
    if (mode === 'hang') return hang(started);
    if (mode === 'exit') return crash(started);
    if (mode === 'quiet') return quiet(started);
    say(started);
    if (mode === 'fail') {
      say({ type: 'error', timestamp: Date.now(), sessionID: 'ses_1', error: { name: 'ProviderAuthError', data: { message: 'No API key found for provider anthropic' } } });
      process.exit(1);
    }
    say({ type: 'text', timestamp: Date.now(), sessionID: 'ses_1', part: { type: 'text', text: 'Writing the file.' } });
    write();
    say({ type: 'tool_use', timestamp: Date.now(), sessionID: 'ses_1', part: { type: 'tool', callID: 'call_1', tool: 'write', state: { status: 'completed', input: { filePath: file, content }, output: '', title: file } } });
    say({ type: 'step_finish', timestamp: Date.now(), sessionID: 'ses_1', part: { type: 'step-finish', reason: 'tool-calls', tokens: { input: 800, output: 30, reasoning: 0, cache: { read: 0, write: 0 } }, cost: 0 } });
    say({ type: 'step_start', timestamp: Date.now(), sessionID: 'ses_1', part: { type: 'step-start' } });
    say({ type: 'text', timestamp: Date.now(), sessionID: 'ses_1', part: { type: 'text', text: `Wrote ${file}.` } });
    say({ type: 'step_finish', timestamp: Date.now(), sessionID: 'ses_1', part: { type: 'step-finish', reason: 'stop', tokens: { input: 900, output: 10, reasoning: 0, cache: { read: 100, write: 0 } }, cost: 0 } });
  },
  gemini() {
    const init = { type: 'init', timestamp: new Date().toISOString(), session_id: 'session-1', model: 'gemini-2.5-flash' };
    if (mode === 'hang') return hang(init);
    if (mode === 'exit') return crash(init);
    if (mode === 'quiet') return quiet(init);
    say(init);
    say({ type: 'message', timestamp: new Date().toISOString(), role: 'user', content: prompt });
    if (mode === 'fail') {
      say({ type: 'error', timestamp: new Date().toISOString(), severity: 'error', message: 'Quota exceeded for quota metric' });
      say({ type: 'result', timestamp: new Date().toISOString(), status: 'error', error: { type: 'FatalError', message: 'Quota exceeded for quota metric' }, stats: { total_tokens: 0, input_tokens: 0, output_tokens: 0, duration_ms: 10, tool_calls: 0 } });
      process.exit(1);
    }
    say({ type: 'message', timestamp: new Date().toISOString(), role: 'assistant', content: 'Writing ', delta: true });
    say({ type: 'message', timestamp: new Date().toISOString(), role: 'assistant', content: 'the file.', delta: true });
    say({ type: 'tool_use', timestamp: new Date().toISOString(), tool_name: 'write_file', tool_id: 'write_file-1', parameters: { file_path: file, content } });
    write();
    say({ type: 'tool_result', timestamp: new Date().toISOString(), tool_id: 'write_file-1', status: 'success', output: `Successfully created ${file}` });
    say({ type: 'message', timestamp: new Date().toISOString(), role: 'assistant', content: `Wrote ${file}.`, delta: true });
    say({ type: 'result', timestamp: new Date().toISOString(), status: 'success', stats: { total_tokens: 1530, input_tokens: 1500, output_tokens: 30, duration_ms: 900, tool_calls: 1 } });
  },
  aider() {
    const model = valueAfter('--model') ?? 'gpt-4o';
    const banner = `Aider v0.86.1\nMain model: ${model} with whole edit format\nGit repo: .git with 1 files\nRepo-map: disabled`;
    if (mode === 'hang') return hang(banner);
    if (mode === 'exit') return crash(banner);
    if (mode === 'quiet') return quiet(banner);
    say(banner);
    if (mode === 'fail') {
      say('litellm.APIConnectionError: OllamaException - [Errno 111] Connection refused');
      say('Retrying in 0.2 seconds...');
      say('litellm.APIConnectionError: OllamaException - [Errno 111] Connection refused');
      process.exit(0);
    }
    say(`${file}`);
    say('```');
    say(content.trimEnd());
    say('```');
    write();
    say(`Applied edit to ${file}`);
    say('Tokens: 1.2k sent, 345 received.');
  },
};

tools[tool]();
