import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bashTool, createBashTool } from '../../../src/agent/tools/bash-tool.js';
import { bubblewrapArguments, commandEnvironment, detectBubblewrap, sandboxCommand } from '../../../src/agent/tools/sandbox.js';
import type { SandboxSettings } from '../../../src/agent/tools/sandbox-settings.js';
import { ToolError } from '../../../src/agent/tools/tool.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { toolContext } from './tool-context.js';

// These tests exercise the real sandbox: a machine without bubblewrap must fail them, not skip them.
const bubblewrap = await detectBubblewrap();
if (!bubblewrap.usable) {
  throw new Error(`The sandbox tests need a working bubblewrap: ${bubblewrap.problem}. Install it: apt-get install bubblewrap`);
}

const settings: SandboxSettings = { mode: 'bwrap', allowNetwork: false, hiddenPaths: [], secretVariables: [] };

/**
 * A temporary folder outside /tmp: the sandbox puts a fresh tmpfs over /tmp, which would hide a
 * folder there whatever the settings say, and so prove nothing.
 */
function folderOutsideTmp(): { dir: string; cleanup: () => void } {
  const dir = realpathSync(mkdtempSync(path.join('/var/tmp', 'wfhub-sandbox-')));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('bubblewrap sandbox', () => {
  let workspace: ReturnType<typeof tempDir>;
  let outside: ReturnType<typeof folderOutsideTmp>;

  beforeEach(() => {
    workspace = tempDir('wfhub-sandbox-ws-');
    outside = folderOutsideTmp();
  });
  afterEach(() => {
    workspace.cleanup();
    outside.cleanup();
  });

  const run = (command: string, overrides: Partial<SandboxSettings> = {}, root = workspace.dir) =>
    bashTool.run({ command }, toolContext(root, { sandbox: { ...settings, ...overrides } }));

  it('lets the command write inside the workspace', async () => {
    const result = await run('echo hello > made.txt && mkdir -p a/b && echo ok');
    expect(result.output).toBe('ok\n(exit code 0)');
    expect(result.metadata).toMatchObject({ sandboxed: true });
    expect(readFileSync(path.join(workspace.dir, 'made.txt'), 'utf8')).toBe('hello\n');
  });

  it('refuses writes outside the workspace', async () => {
    const result = await run(`touch ${outside.dir}/escaped; touch /root/wfhub-escaped; touch /usr/wfhub-escaped`);
    expect(result.output.match(/Read-only file system/g)).toHaveLength(3);
    expect(result.metadata).toMatchObject({ exitCode: 1 });
    expect(existsSync(path.join(outside.dir, 'escaped'))).toBe(false);
    expect(existsSync('/root/wfhub-escaped')).toBe(false);
    expect(existsSync('/usr/wfhub-escaped')).toBe(false);
  });

  it("keeps the repository's own data read-only: git reads it, nothing can change its config, refs or history", async () => {
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Me', '-c', 'user.email=me@example.com', ...args], { cwd: workspace.dir, encoding: 'utf8' });
    git('init', '-q', '-b', 'main');
    writeFileSync(path.join(workspace.dir, 'a.txt'), 'a\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'first');
    const config = readFileSync(path.join(workspace.dir, '.git', 'config'), 'utf8');
    const head = git('rev-parse', 'HEAD');
    const result = await run(
      'echo changed > a.txt; git log --format=%s; git status --short; ' +
        'git config core.fsmonitor "touch /tmp/ran"; echo "[core]" >> .git/config; rm -rf .git/refs; mv .git gone; git commit -qam sneaky; echo done',
    );
    expect(result.output).toContain('first');
    expect(result.output).toContain(' M a.txt');
    expect(result.output).toContain('done');
    expect(readFileSync(path.join(workspace.dir, '.git', 'config'), 'utf8')).toBe(config);
    expect(git('rev-parse', 'HEAD')).toBe(head);
    expect(existsSync(path.join(workspace.dir, 'gone'))).toBe(false);
    // The work tree itself stays the command's to change.
    expect(readFileSync(path.join(workspace.dir, 'a.txt'), 'utf8')).toBe('changed\n');
  });

  it('gives the command a private /tmp that never reaches the host', async () => {
    const other = tempDir('wfhub-sandbox-other-');
    try {
      writeFileSync(path.join(other.dir, 'host-file'), 'host');
      const result = await run(`ls ${other.dir} 2>&1; mkdir -p ${other.dir} && touch ${other.dir}/from-sandbox && echo wrote`);
      expect(result.output).toContain('No such file or directory');
      expect(result.output).toContain('wrote');
      expect(existsSync(path.join(other.dir, 'from-sandbox'))).toBe(false);
    } finally {
      other.cleanup();
    }
  });

  it('cannot undo its mounts, even when wfhub runs as root', async () => {
    mkdirSync(path.join(outside.dir, 'hidden'));
    writeFileSync(path.join(outside.dir, 'hidden', 'secret.txt'), 'top-secret');
    const result = await run(
      `umount ${outside.dir}/hidden; mount -o remount,rw /; cat ${outside.dir}/hidden/secret.txt; touch ${outside.dir}/escaped; grep CapEff /proc/self/status`,
      { hiddenPaths: [path.join(outside.dir, 'hidden')] },
    );
    expect(result.output).not.toContain('top-secret');
    expect(result.output).toMatch(/CapEff:\s+0+\n/);
    expect(existsSync(path.join(outside.dir, 'escaped'))).toBe(false);
  });

  it('makes hidden folders invisible, and skips hidden paths that do not exist', async () => {
    const home = path.join(outside.dir, 'home');
    mkdirSync(path.join(home, '.ssh'), { recursive: true });
    writeFileSync(path.join(home, '.ssh', 'id_ed25519'), 'PRIVATE KEY');
    writeFileSync(path.join(outside.dir, 'secret.key'), 'FILE SECRET');
    const result = await run(`ls -A ${home}; cat ${home}/.ssh/id_ed25519; cat ${outside.dir}/secret.key; echo end`, {
      hiddenPaths: [home, path.join(outside.dir, 'secret.key'), path.join(outside.dir, 'missing')],
    });
    expect(result.output).not.toContain('.ssh\n');
    expect(result.output).not.toContain('PRIVATE KEY');
    expect(result.output).not.toContain('FILE SECRET');
    expect(result.output).toContain(`cat: ${home}/.ssh/id_ed25519: No such file or directory`);
    expect(result.output).toMatch(/end\n\(exit code 0\)$/);
  });

  it('hides a folder reached through a symlink by its real path', async () => {
    mkdirSync(path.join(outside.dir, 'real-data'));
    writeFileSync(path.join(outside.dir, 'real-data', 'db.key'), 'DATA KEY');
    const link = path.join(outside.dir, 'data-link');
    symlinkSync(path.join(outside.dir, 'real-data'), link);
    const result = await run(`cat ${outside.dir}/real-data/db.key ${link}/db.key`, { hiddenPaths: [link] });
    expect(result.output).not.toContain('DATA KEY');
  });

  it('keeps the workspace visible and writable when it lies inside a hidden folder', async () => {
    const home = path.join(outside.dir, 'home');
    const project = path.join(home, 'projects', 'app');
    mkdirSync(project, { recursive: true });
    writeFileSync(path.join(home, 'secret.txt'), 'HOME SECRET');
    writeFileSync(path.join(project, 'README.md'), 'readme');
    const result = await run(`cat README.md && echo written > new.txt && cat ${home}/secret.txt; ls ${home}`, { hiddenPaths: [home, project] }, project);
    expect(result.output).toMatch(/^readme/);
    expect(result.output).not.toContain('HOME SECRET');
    expect(result.output).toContain('projects\n');
    expect(readFileSync(path.join(project, 'new.txt'), 'utf8')).toBe('written\n');
  });

  it('hides a folder inside the workspace, such as a data dir kept in the project', async () => {
    const dataDir = path.join(workspace.dir, '.wfhub');
    mkdirSync(dataDir);
    writeFileSync(path.join(dataDir, 'secret.key'), 'DATA DIR KEY');
    const result = await run('ls -A .wfhub; cat .wfhub/secret.key; echo visible > other.txt; cat other.txt', { hiddenPaths: [dataDir] });
    expect(result.output).not.toContain('DATA DIR KEY');
    expect(result.output).toContain('visible');
    expect(readFileSync(path.join(dataDir, 'secret.key'), 'utf8')).toBe('DATA DIR KEY');
  });

  describe('network', () => {
    let server: Server;
    let port: number;
    let connections = 0;

    beforeAll(async () => {
      server = createServer((socket) => {
        connections += 1;
        socket.end('hello from the host\n');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const connect = () => `exec 3<>/dev/tcp/127.0.0.1/${port} && head -n 1 <&3`;

    it('is cut off by default: only loopback exists and the host cannot be reached', async () => {
      const before = connections;
      const result = await run(`${connect()}; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '`);
      expect(result.output).not.toContain('hello from the host');
      expect(result.output).toContain('Connection refused');
      expect(result.output).toMatch(/\nlo\n\(exit code 0\)$/);
      expect(connections).toBe(before);
    });

    it('is reachable when the project allows the network', async () => {
      const result = await run(connect(), { allowNetwork: true });
      expect(result.output).toBe('hello from the host\n(exit code 0)');
    });
  });

  it('runs its commands in their own pid namespace', async () => {
    const result = await run('echo $$; ps -e -o pid= | wc -l');
    const [pid, count] = result.output.split('\n').map((line) => Number(line.trim()));
    expect(pid).toBeLessThan(10);
    expect(count).toBeLessThan(10);
  });
});

describe('sandboxCommand', () => {
  let workspace: ReturnType<typeof tempDir>;
  beforeEach(() => {
    workspace = tempDir('wfhub-sandbox-cmd-');
  });
  afterEach(() => workspace.cleanup());

  it('runs bash directly in mode off', async () => {
    expect(await sandboxCommand('ls', { root: workspace.dir, settings: { ...settings, mode: 'off' } })).toEqual({
      file: 'bash',
      args: ['-c', 'ls'],
      sandboxed: false,
    });
  });

  it('uses bubblewrap in modes bwrap and auto when it works', async () => {
    for (const mode of ['bwrap', 'auto'] as const) {
      const command = await sandboxCommand('ls', { root: workspace.dir, settings: { ...settings, mode } });
      expect(command).toMatchObject({ file: bubblewrap.executable, sandboxed: true });
      expect(command.warning).toBeUndefined();
      expect(command.args.slice(-3)).toEqual(['bash', '-c', 'ls']);
    }
  });

  it('builds the mounts in an order where the workspace wins over hidden folders around it', () => {
    const root = '/srv/home/me/projects/app';
    const args = bubblewrapArguments('make', root, { ...settings, hiddenPaths: [] });
    expect(args).toEqual([
      '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp',
      '--bind', root, root,
      '--unshare-net', '--unshare-pid', '--unshare-ipc', '--die-with-parent', '--new-session', '--cap-drop', 'ALL',
      '--chdir', root, 'bash', '-c', 'make',
    ]);
  });

  it('orders hidden folders around the workspace bind and skips the missing ones', () => {
    const outside = folderOutsideTmp();
    try {
      const home = path.join(outside.dir, 'home');
      const root = path.join(home, 'app');
      const dataDir = path.join(root, '.wfhub');
      const nested = path.join(home, '.ssh');
      for (const folder of [dataDir, nested]) mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(outside.dir, 'key'), 'k');
      const args = bubblewrapArguments('true', root, {
        ...settings,
        allowNetwork: true,
        hiddenPaths: [dataDir, nested, home, root, path.join(outside.dir, 'key'), path.join(outside.dir, 'missing'), '/'],
      });
      expect(args.join(' ')).toBe(
        [
          '--ro-bind / / --dev /dev --proc /proc --tmpfs /tmp',
          `--tmpfs ${home} --ro-bind /dev/null ${outside.dir}/key`,
          `--bind ${root} ${root}`,
          `--tmpfs ${dataDir}`,
          '--unshare-pid --unshare-ipc --die-with-parent --new-session --cap-drop ALL',
          `--chdir ${root} bash -c true`,
        ].join(' '),
      );
    } finally {
      outside.cleanup();
    }
  });

  it('refuses mode bwrap when bubblewrap is missing, saying what to do', async () => {
    const error = await sandboxCommand('ls', {
      root: workspace.dir,
      settings,
      bubblewrap: 'wfhub-no-such-bwrap',
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ToolError);
    expect(error).toMatchObject({ code: 'sandbox_unavailable' });
    expect((error as ToolError).message).toContain('wfhub-no-such-bwrap was not found on PATH');
    expect((error as ToolError).message).toContain('apt-get install bubblewrap');
    expect((error as ToolError).message).toContain('WFHUB_SANDBOX=auto or off');
  });

  it('treats a bubblewrap that cannot build a sandbox like a missing one', async () => {
    const status = await detectBubblewrap('/bin/false');
    expect(status).toMatchObject({ usable: false });
    expect(status.problem).toContain('cannot create a sandbox here');
    await expect(sandboxCommand('ls', { root: workspace.dir, settings, bubblewrap: '/bin/false' })).rejects.toMatchObject({
      code: 'sandbox_unavailable',
    });
  });

  it('falls back to running directly in mode auto, warning once', async () => {
    const options = { root: workspace.dir, settings: { ...settings, mode: 'auto' as const }, bubblewrap: '/nonexistent/bwrap' };
    const first = await sandboxCommand('ls', options);
    expect(first).toMatchObject({ file: 'bash', args: ['-c', 'ls'], sandboxed: false });
    expect(first.warning).toContain('WITHOUT a sandbox');
    expect(first.warning).toContain('apt-get install bubblewrap');
    const second = await sandboxCommand('ls', options);
    expect(second).toEqual({ file: 'bash', args: ['-c', 'ls'], sandboxed: false });
  });

  it('passes the fallback warning to the bash tool hook once, and still runs the command', async () => {
    const warnings: string[] = [];
    const tool = createBashTool({ bubblewrap: '/nonexistent/other-bwrap', onSandboxWarning: (message) => warnings.push(message) });
    const context = toolContext(workspace.dir, { sandbox: { ...settings, mode: 'auto' } });
    const first = await tool.run({ command: 'echo ran' }, context);
    const second = await tool.run({ command: 'echo ran' }, context);
    expect(first.output).toBe('ran\n(exit code 0)');
    expect(first.metadata).toMatchObject({ sandboxed: false });
    expect(first.metadata?.sandboxWarning).toContain('WITHOUT a sandbox');
    expect(second.metadata?.sandboxWarning).toBeUndefined();
    expect(warnings).toHaveLength(1);
  });

  it('makes the bash tool fail with what to do when mode bwrap finds no bubblewrap', async () => {
    const tool = createBashTool({ bubblewrap: '/nonexistent/bwrap' });
    await expect(tool.run({ command: 'true' }, toolContext(workspace.dir, { sandbox: settings }))).rejects.toMatchObject({
      name: 'ToolError',
      code: 'sandbox_unavailable',
    });
  });
});

describe('commandEnvironment', () => {
  it('drops listed and credential-looking variables and adds non-interactive settings', () => {
    const environment = commandEnvironment(
      { ...settings, secretVariables: ['WFHUB_SECRET_KEY_FILE', 'MY_KEY'] },
      {
        sandboxed: false,
        base: {
          PATH: '/usr/bin',
          MY_KEY: 'a',
          GITHUB_TOKEN: 'b',
          OpenAI_Api_Key: 'c',
          DB_PASSWORD: 'd',
          DATABASE_URL: 'e',
          AWS_SECRET_ACCESS_KEY: 'f',
          PAGER: 'less',
          HOME: '/home/me',
        },
      },
    );
    expect(environment).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/me',
      PAGER: 'cat',
      GIT_PAGER: 'cat',
      TERM: 'dumb',
      CI: '1',
      NO_COLOR: '1',
      GIT_TERMINAL_PROMPT: '0',
      DEBIAN_FRONTEND: 'noninteractive',
    });
  });
});
