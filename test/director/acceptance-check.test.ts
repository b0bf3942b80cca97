import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { detectBubblewrap } from '../../src/agent/tools/sandbox.js';
import type { SandboxSettings } from '../../src/agent/tools/sandbox-settings.js';
import { bodyStartLimit, checkKind, outputTailLimit, runCheck, type CheckOptions } from '../../src/director/acceptance-check.js';
import { tempDir } from '../helpers/temp-dir.js';
import { liveProcessesWith, uniqueSeconds, waitFor } from '../helpers/processes.js';

// These tests exercise the real sandbox: a machine without bubblewrap must fail them, not skip them.
const bubblewrap = await detectBubblewrap();
if (!bubblewrap.usable) {
  throw new Error(`The acceptance check tests need a working bubblewrap: ${bubblewrap.problem}. Install it: apt-get install bubblewrap`);
}

const sandboxed: SandboxSettings = { mode: 'bwrap', allowNetwork: false, hiddenPaths: [], secretVariables: [] };


describe('acceptance checks', () => {
  let workspace: ReturnType<typeof tempDir>;
  let options: CheckOptions;

  beforeEach(() => {
    workspace = tempDir('wfhub-check-');
    options = { dir: realpathSync(workspace.dir), sandbox: sandboxed, timeoutMs: 30_000, signal: new AbortController().signal };
  });
  afterEach(() => workspace.cleanup());

  it('tells HTTP probes from shell commands', () => {
    expect(checkKind('http://127.0.0.1:3000/health')).toBe('http');
    expect(checkKind('  https://example.com/status?full=1  ')).toBe('http');
    expect(checkKind('GET http://localhost/')).toBe('http');
    expect(checkKind('head https://example.com')).toBe('http');
    expect(checkKind('npm test')).toBe('command');
    expect(checkKind('curl -f http://localhost/')).toBe('command');
    expect(checkKind('POST http://localhost/')).toBe('command');
    expect(checkKind('http://localhost/ && echo up')).toBe('command');
    expect(checkKind('ftp://example.com/file')).toBe('command');
  });

  describe('commands', () => {
    it('passes on exit code 0, in the sandbox, with the output in the tail', async () => {
      const result = await runCheck('pwd; echo all good', options);
      expect(result).toMatchObject({
        kind: 'command',
        check: 'pwd; echo all good',
        passed: true,
        exit_code: 0,
        http_status: null,
        timed_out: false,
        sandboxed: true,
        output_tail: `${options.dir}\nall good\n`,
      });
      expect(result.error).toBeUndefined();
      expect(result.duration_ms).toBeTypeOf('number');
    });

    it('fails on a non-zero exit code and reports it', async () => {
      const result = await runCheck('echo broken >&2; exit 3', options);
      expect(result).toMatchObject({ passed: false, exit_code: 3, timed_out: false, output_tail: 'broken\n' });
      expect(result.error).toBeUndefined();
    });

    it('kills the whole process group on timeout and says so at the end of the tail', async () => {
      const seconds = uniqueSeconds();
      const started = Date.now();
      const result = await runCheck(`echo waiting; sleep ${seconds} & sleep ${seconds}`, { ...options, timeoutMs: 500 });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(result).toMatchObject({ passed: false, exit_code: null, timed_out: true, sandboxed: true });
      expect(result.output_tail).toMatch(/^waiting\n\(killed after 0\.5 s timeout[^\n]*\)$/);
      await waitFor(() => liveProcessesWith(seconds).length === 0);
    });

    it('writes only inside its folder', async () => {
      // Outside /tmp: the sandbox's fresh /tmp would hide a folder there and prove nothing.
      const outside = realpathSync(mkdtempSync(path.join('/var/tmp', 'wfhub-check-outside-')));
      try {
        const result = await runCheck(`touch inside.txt && touch ${outside}/escaped`, options);
        expect(result).toMatchObject({ passed: false, exit_code: 1, sandboxed: true });
        expect(result.output_tail).toContain('Read-only file system');
        expect(existsSync(path.join(options.dir, 'inside.txt'))).toBe(true);
        expect(existsSync(path.join(outside, 'escaped'))).toBe(false);
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    });

    it('keeps the end of a long output', async () => {
      const result = await runCheck('seq 1 300000; echo the-end', options);
      expect(result.passed).toBe(true);
      expect(result.output_tail).toHaveLength(outputTailLimit);
      expect(result.output_tail.endsWith('299999\n300000\nthe-end\n')).toBe(true);
    });

    it("does not show wfhub's secrets to the command", async () => {
      process.env.WFHUB_TEST_CHECK_PLAIN = 'plain-secret';
      process.env.WFHUB_TEST_CHECK_API_KEY = 'key-secret';
      process.env.WFHUB_TEST_CHECK_VISIBLE = 'visible-value';
      try {
        const result = await runCheck('echo "[$WFHUB_TEST_CHECK_PLAIN][$WFHUB_TEST_CHECK_API_KEY][$WFHUB_TEST_CHECK_VISIBLE]"', {
          ...options,
          sandbox: { ...sandboxed, secretVariables: ['WFHUB_TEST_CHECK_PLAIN'] },
        });
        expect(result.output_tail).toBe('[][][visible-value]\n');
      } finally {
        delete process.env.WFHUB_TEST_CHECK_PLAIN;
        delete process.env.WFHUB_TEST_CHECK_API_KEY;
        delete process.env.WFHUB_TEST_CHECK_VISIBLE;
      }
    });

    it('reports a sandbox that is required but unusable as a check that could not run', async () => {
      const result = await runCheck('true', { ...options, bubblewrap: '/nonexistent/bwrap' });
      expect(result).toMatchObject({ passed: false, exit_code: null, sandboxed: false });
      expect(result.error).toContain('bubblewrap sandbox');
    });

    it('reports a command that cannot start as a check that could not run', async () => {
      const result = await runCheck('true', { ...options, dir: path.join(options.dir, 'missing') });
      expect(result).toMatchObject({ passed: false, exit_code: null, timed_out: false });
      expect(result.error).toMatch(/^The command could not be started: /);
    });

    it('reports an empty check as one that could not run', async () => {
      const result = await runCheck('   ', options);
      expect(result).toMatchObject({ kind: 'command', passed: false });
      expect(result.error).toContain('empty');
    });

    it('stops the whole process group and rejects with the reason when aborted', async () => {
      const seconds = uniqueSeconds();
      const controller = new AbortController();
      const running = runCheck(`touch started; sleep ${seconds}`, { ...options, signal: controller.signal });
      await waitFor(() => existsSync(path.join(options.dir, 'started')) && liveProcessesWith(seconds).length > 0);
      controller.abort(new Error('the run was cancelled'));
      await expect(running).rejects.toThrow('the run was cancelled');
      await waitFor(() => liveProcessesWith(seconds).length === 0);
    });

    it('rejects without running when already aborted', async () => {
      const controller = new AbortController();
      controller.abort(new Error('too late'));
      await expect(runCheck('touch ran', { ...options, signal: controller.signal })).rejects.toThrow('too late');
      expect(existsSync(path.join(options.dir, 'ran'))).toBe(false);
    });
  });

  describe('HTTP probes', () => {
    let server: Server;
    let origin: string;

    beforeAll(async () => {
      server = createServer((request, response) => {
        if (request.url === '/ok') return response.writeHead(200, { 'content-type': 'text/plain' }).end('all good');
        if (request.url === '/fail') return response.writeHead(500).end(`database is down${'!'.repeat(5_000)}`);
        if (request.url === '/moved') return response.writeHead(302, { location: '/ok' }).end();
        if (request.url === '/loop') return response.writeHead(302, { location: '/loop' }).end();
        if (request.url === '/slow') return; // never answers
        if (request.url === '/away') return response.writeHead(302, { location: 'http://192.0.2.10/metadata' }).end();
        response.writeHead(404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('passes on a 2xx answer', async () => {
      const result = await runCheck(`${origin}/ok`, options);
      expect(result).toMatchObject({
        kind: 'http',
        check: `${origin}/ok`,
        passed: true,
        http_status: 200,
        exit_code: null,
        timed_out: false,
        sandboxed: false,
        output_tail: 'HTTP 200 OK\nall good',
      });
      expect(result.error).toBeUndefined();
    });

    it('fails on a 5xx answer, with the start of the body', async () => {
      const result = await runCheck(`${origin}/fail`, options);
      expect(result).toMatchObject({ passed: false, http_status: 500 });
      expect(result.output_tail.startsWith('HTTP 500 Internal Server Error\ndatabase is down!!!')).toBe(true);
      expect(result.output_tail).toHaveLength('HTTP 500 Internal Server Error\n'.length + bodyStartLimit);
    });

    it('takes the GET and HEAD forms', async () => {
      expect(await runCheck(`GET ${origin}/ok`, options)).toMatchObject({ kind: 'http', passed: true, output_tail: 'HTTP 200 OK\nall good' });
      expect(await runCheck(`head ${origin}/ok`, options)).toMatchObject({ kind: 'http', passed: true, output_tail: 'HTTP 200 OK' });
      expect(await runCheck(`HEAD ${origin}/fail`, options)).toMatchObject({ passed: false, http_status: 500 });
    });

    it('follows a few redirects, not endlessly', async () => {
      expect(await runCheck(`${origin}/moved`, options)).toMatchObject({ passed: true, http_status: 200 });
      const loop = await runCheck(`${origin}/loop`, options);
      expect(loop).toMatchObject({ passed: false, http_status: 302 });
      expect(loop.output_tail).toContain('more than 5 redirects');
    });

    it('fails with the reason when the connection is refused', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const result = await runCheck(`http://127.0.0.1:${port}/`, options);
      expect(result).toMatchObject({ passed: false, http_status: null, timed_out: false });
      expect(result.output_tail).toContain('ECONNREFUSED');
      expect(result.error).toBeUndefined();
    });

    it('fails as timed out when nothing answers in time', async () => {
      const started = Date.now();
      const result = await runCheck(`${origin}/slow`, { ...options, timeoutMs: 300 });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(result).toMatchObject({ passed: false, timed_out: true, http_status: null });
      expect(result.output_tail).toContain('within 0.3 s');
    });

    it('calls only this machine while the project keeps commands off the network', async () => {
      const local = `http://localhost:${new URL(origin).port}/ok`;
      expect(await runCheck(local, options)).toMatchObject({ passed: true, http_status: 200 });
      const elsewhere = await runCheck('http://192.0.2.10/latest/meta-data', options);
      expect(elsewhere).toMatchObject({ kind: 'http', passed: false, http_status: null, timed_out: false });
      expect(elsewhere.output_tail).toContain('a probe may only call localhost, 127.0.0.1 or ::1');
      // A redirect is held to the same rule.
      const redirected = await runCheck(`${origin}/away`, options);
      expect(redirected).toMatchObject({ passed: false, http_status: 302 });
      expect(redirected.output_tail).toContain('192.0.2.10');
      // With the network allowed, the address is tried (and here, with no route, fails to connect or times out).
      const allowed = await runCheck('http://192.0.2.10/', { ...options, timeoutMs: 300, sandbox: { ...options.sandbox, allowNetwork: true } });
      expect(allowed.output_tail).not.toContain('a probe may only call');
    });

    it('reports a URL that cannot be parsed as a check that could not run', async () => {
      const result = await runCheck('http://[not-a-host/', options);
      expect(result).toMatchObject({ kind: 'http', passed: false });
      expect(result.error).toContain('not a valid URL');
    });

    it('rejects with the reason when aborted', async () => {
      const controller = new AbortController();
      const running = runCheck(`${origin}/slow`, { ...options, signal: controller.signal });
      await delay(100);
      controller.abort(new Error('the run was cancelled'));
      await expect(running).rejects.toThrow('the run was cancelled');
    });
  });
});
