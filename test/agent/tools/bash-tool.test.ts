import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bashOutputLimit, bashTool } from '../../../src/agent/tools/bash-tool.js';
import { detectBubblewrap } from '../../../src/agent/tools/sandbox.js';
import type { SandboxSettings } from '../../../src/agent/tools/sandbox-settings.js';
import { ToolError, type ToolContext } from '../../../src/agent/tools/tool.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { toolContext } from './tool-context.js';
import { liveProcessesWith, uniqueSeconds, waitFor } from '../../helpers/processes.js';

// These tests exercise the real sandbox: a machine without bubblewrap must fail them, not skip them.
const bubblewrap = await detectBubblewrap();
if (!bubblewrap.usable) {
  throw new Error(`The bash tool tests need a working bubblewrap: ${bubblewrap.problem}. Install it: apt-get install bubblewrap`);
}

const sandboxed: SandboxSettings = { mode: 'bwrap', allowNetwork: false, hiddenPaths: [], secretVariables: [] };


async function run(context: ToolContext, input: unknown) {
  return bashTool.run(input, context);
}

describe('bash tool', () => {
  let workspace: ReturnType<typeof tempDir>;
  let context: ToolContext;

  beforeEach(() => {
    workspace = tempDir('wfhub-bash-');
    context = toolContext(workspace.dir);
  });
  afterEach(() => workspace.cleanup());

  it.each(['off', 'bwrap'] as const)('runs in the workspace folder (sandbox %s)', async (mode) => {
    const result = await run(toolContext(workspace.dir, { sandbox: { ...sandboxed, mode } }), { command: 'pwd' });
    expect(result.output).toBe(`${context.root}\n(exit code 0)`);
    expect(result.metadata).toMatchObject({ exitCode: 0, signal: null, timedOut: false, sandboxed: mode === 'bwrap' });
    expect(result.metadata?.durationMs).toBeTypeOf('number');
  });

  it('reports a non-zero exit code as a result, with the output', async () => {
    const result = await run(context, { command: 'echo before; exit 2' });
    expect(result.output).toBe('before\n(exit code 2)');
    expect(result.metadata).toMatchObject({ exitCode: 2, timedOut: false });
  });

  it('captures stderr interleaved with stdout in arrival order', async () => {
    const result = await run(context, { command: 'echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three; sleep 0.1; ls /no-such-path' });
    expect(result.output).toMatch(/^one\ntwo\nthree\nls: cannot access '\/no-such-path': No such file or directory\n\(exit code 2\)$/);
  });

  it('says when there is no output', async () => {
    expect((await run(context, { command: 'true' })).output).toBe('(no output)\n(exit code 0)');
  });

  it('reports a command killed by a signal', async () => {
    const result = await run(context, { command: 'kill -9 $$' });
    expect(result.output).toBe('(no output)\n(killed by signal SIGKILL)');
    expect(result.metadata).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
  });

  it('closes stdin, so a command waiting for input ends at once', async () => {
    const result = await run(context, { command: 'read -r line; echo "read: $?"; cat' });
    expect(result.output).toBe('read: 1\n(exit code 0)');
  });

  it('sets a non-interactive environment and removes secrets from it', async () => {
    process.env.WFHUB_TEST_API_KEY = 'key-value-1';
    process.env.WFHUB_TEST_PLAIN = 'plain-value-2';
    process.env.WFHUB_TEST_GITHUB_token = 'token-value-3';
    process.env.WFHUB_TEST_VISIBLE = 'visible-value-4';
    try {
      const result = await run(toolContext(workspace.dir, { sandbox: { ...sandboxed, secretVariables: ['WFHUB_TEST_PLAIN'] } }), {
        command: 'env',
      });
      expect(result.output).not.toContain('key-value-1');
      expect(result.output).not.toContain('plain-value-2');
      expect(result.output).not.toContain('token-value-3');
      expect(result.output).toContain('WFHUB_TEST_VISIBLE=visible-value-4');
      for (const setting of ['PAGER=cat', 'GIT_PAGER=cat', 'TERM=dumb', 'CI=1', 'NO_COLOR=1', 'TMPDIR=/tmp']) {
        expect(result.output).toMatch(new RegExp(`^${setting}$`, 'm'));
      }
    } finally {
      delete process.env.WFHUB_TEST_API_KEY;
      delete process.env.WFHUB_TEST_PLAIN;
      delete process.env.WFHUB_TEST_GITHUB_token;
      delete process.env.WFHUB_TEST_VISIBLE;
    }
  });

  it('kills the whole process group on timeout, background jobs and subshells included', async () => {
    const background = uniqueSeconds();
    const subshell = uniqueSeconds();
    const command = `sleep ${background} & echo $! > background.pid; (sleep ${subshell}; true) & echo started; sleep 300`;
    const started = Date.now();
    const result = await bashTool.run({ command, timeout: 1 }, context);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.output).toBe('started\n(killed after 1 s timeout; the whole process group was stopped. Give a larger timeout, at most 600 s, or do less in one command.)');
    expect(result.metadata).toMatchObject({ timedOut: true, sandboxed: false });

    const pid = Number(readFileSync(path.join(workspace.dir, 'background.pid'), 'utf8'));
    expect(pid).toBeGreaterThan(0);
    expect(liveProcessesWith(background)).toEqual([]);
    expect(liveProcessesWith(subshell)).toEqual([]);
  });

  it('kills everything in the sandbox on timeout', async () => {
    const background = uniqueSeconds();
    const result = await run(toolContext(workspace.dir, { sandbox: sandboxed }), {
      command: `sleep ${background} >/dev/null 2>&1 & (sleep ${background}; true) & sleep 300`,
      timeout: 1,
    });
    expect(result.metadata).toMatchObject({ timedOut: true, sandboxed: true });
    await waitFor(() => liveProcessesWith(background).length === 0);
  });

  it('stops background processes when the command itself ends', async () => {
    const background = uniqueSeconds();
    const started = Date.now();
    const result = await run(context, { command: `sleep ${background} & echo done` });
    expect(result.output).toBe('done\n(exit code 0)');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(liveProcessesWith(background)).toEqual([]);
  });

  it.each(['off', 'bwrap'] as const)('kills the whole process group when aborted (sandbox %s)', async (mode) => {
    const background = uniqueSeconds();
    const controller = new AbortController();
    const running = run(toolContext(workspace.dir, { signal: controller.signal, sandbox: { ...sandboxed, mode } }), {
      command: `sleep ${background} & touch started; sleep 300`,
    });
    await waitFor(() => existsSync(path.join(workspace.dir, 'started')) && liveProcessesWith(background).length > 0);
    controller.abort();
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    expect(liveProcessesWith(background)).toEqual([]);
  });

  it('refuses to start when already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(run(toolContext(workspace.dir, { signal: controller.signal }), { command: 'touch ran' })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(existsSync(path.join(workspace.dir, 'ran'))).toBe(false);
  });

  it('keeps the head and tail of a long output and saves the full text in the workspace', async () => {
    const result = await run(context, { command: 'seq 1 20000; echo the-end' });
    const full = `${Array.from({ length: 20_000 }, (_, index) => index + 1).join('\n')}\nthe-end\n`;
    const savedPath = result.metadata?.fullOutputPath as string;
    expect(savedPath).toMatch(/^\.wfhub-outputs\/bash-.+\.txt$/);
    expect(readFileSync(path.join(workspace.dir, savedPath), 'utf8')).toBe(full);

    expect(result.output.length).toBeLessThan(bashOutputLimit + 500);
    expect(result.output.startsWith('1\n2\n3\n')).toBe(true);
    expect(result.output).toContain('characters omitted');
    expect(result.output).toContain(`full output in ${savedPath}`);
    expect(result.output).toContain('19999\n20000\nthe-end\n(exit code 0)\n');
    expect(result.output.endsWith(`the full output is in ${savedPath}, read or grep it)`)).toBe(true);
    expect(result.metadata).toMatchObject({ outputLength: full.length });

    // The saved file is readable from the next command, as the model would do.
    const grep = await run(context, { command: `grep -c . ${savedPath}` });
    expect(grep.output).toBe('20001\n(exit code 0)');
  });

  it('never writes a full output through a symlink a command left in place of the outputs folder', async () => {
    const outside = tempDir('wfhub-bash-outside-');
    try {
      writeFileSync(path.join(outside.dir, 'victim'), 'keep me');
      const sandboxedContext = toolContext(workspace.dir, { sandbox: sandboxed });
      await run(sandboxedContext, { command: `ln -s ${outside.dir} .wfhub-outputs` });
      const result = await run(sandboxedContext, { command: 'seq 1 20000' });
      expect(result.metadata?.fullOutputPath).toBeUndefined();
      expect(result.metadata?.saveProblem).toMatch(/not a plain folder/);
      expect(readdirSync(outside.dir)).toEqual(['victim']);

      // A link planted at the .gitignore inside a real outputs folder is not written through either.
      await run(sandboxedContext, { command: `rm .wfhub-outputs && mkdir .wfhub-outputs && ln -s ${outside.dir}/victim .wfhub-outputs/.gitignore` });
      const again = await run(sandboxedContext, { command: 'seq 1 20000' });
      expect(again.metadata?.fullOutputPath).toMatch(/^\.wfhub-outputs\//);
      expect(readFileSync(path.join(outside.dir, 'victim'), 'utf8')).toBe('keep me');
    } finally {
      outside.cleanup();
    }
  });

  it('reports the files a command created, changed and deleted, but not ignored ones', async () => {
    writeFileSync(path.join(workspace.dir, 'keep.txt'), 'same');
    writeFileSync(path.join(workspace.dir, 'change.txt'), 'before');
    writeFileSync(path.join(workspace.dir, 'gone.txt'), 'x');
    writeFileSync(path.join(workspace.dir, '.gitignore'), 'build.log\n');
    const result = await run(toolContext(workspace.dir, { sandbox: sandboxed }), {
      command: 'echo after > change.txt; rm gone.txt; mkdir -p src && echo new > src/new.txt; echo noise > build.log',
    });
    expect(result.filesChanged).toEqual(['change.txt', 'gone.txt', 'src/new.txt']);
  });

  it('keeps short outputs whole without saving a file', async () => {
    const result = await run(context, { command: 'seq 1 100' });
    expect(result.metadata?.fullOutputPath).toBeUndefined();
    expect(existsSync(path.join(workspace.dir, '.wfhub-outputs'))).toBe(false);
  });

  it.each([
    [{ command: 'true', timeout: 0 }, 'timeout: must be a positive number of seconds'],
    [{ command: 'true', timeout: 601 }, 'timeout: must be at most 600 seconds'],
    [{ command: 'true', timeout: '30' }, 'timeout:'],
    [{}, 'command:'],
    [{ command: '   ' }, 'command: the command is empty'],
    [undefined, 'command:'],
  ])('refuses invalid arguments %j', async (input, problem) => {
    const error = await run(context, input).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ToolError);
    expect(error).toMatchObject({ code: 'invalid_arguments' });
    expect((error as ToolError).message).toContain(problem);
    expect((error as ToolError).message).toContain('Rewrite the input');
  });

  it('accepts the largest timeout', async () => {
    const result = await run(context, { command: 'echo ok', timeout: 600 });
    expect(result.output).toBe('ok\n(exit code 0)');
  });

  it('describes its arguments to the model', () => {
    expect(bashTool.jsonSchema).toMatchObject({
      type: 'object',
      required: ['command'],
      properties: { command: { type: 'string' }, timeout: { type: 'number', maximum: 600 } },
    });
  });

  it('runs without the sandbox in mode off: files outside the workspace are reachable', async () => {
    const outside = tempDir('wfhub-outside-');
    try {
      const result = await run(context, { command: `touch ${outside.dir}/written && echo $$` });
      expect(result.metadata).toMatchObject({ sandboxed: false, exitCode: 0 });
      expect(existsSync(path.join(outside.dir, 'written'))).toBe(true);
      // Outside a pid namespace the shell's pid is an ordinary host pid.
      expect(Number(result.output.split('\n')[0])).toBeGreaterThan(2);
    } finally {
      outside.cleanup();
    }
  });

  it('keeps only the start and a rolling tail of a runaway output in memory', async () => {
    const result = await run(context, { command: "head -c 12000000 /dev/zero | tr '\\0' a; echo; echo the-end" });
    expect(result.metadata).toMatchObject({ exitCode: 0, outputLength: 12_000_009 });
    expect(result.output).toContain('a\nthe-end\n(exit code 0)');
    const saved = readFileSync(path.join(workspace.dir, result.metadata?.fullOutputPath as string), 'utf8');
    expect(saved).toMatch(/^a{1000}/);
    expect(saved).toMatch(/\[\.\.\. \d+ characters were not kept \.\.\.\]/);
    expect(saved.endsWith('a\nthe-end\n')).toBe(true);
    expect(saved.length).toBeLessThan(8_100_000);
  });

  it('fails with a ToolError when the command cannot start', async () => {
    const gone = tempDir('wfhub-gone-');
    const goneContext = toolContext(gone.dir);
    gone.cleanup();
    await expect(run(goneContext, { command: 'true' })).rejects.toMatchObject({ name: 'ToolError', code: 'command_failed_to_start' });
  });

  it('writes the full output even when a huge output is produced', async () => {
    writeFileSync(path.join(workspace.dir, 'big.txt'), 'x'.repeat(100_000));
    const result = await run(context, { command: 'cat big.txt' });
    expect(result.metadata).toMatchObject({ outputLength: 100_000 });
    const saved = readFileSync(path.join(workspace.dir, result.metadata?.fullOutputPath as string), 'utf8');
    expect(saved).toBe('x'.repeat(100_000));
  });
});
