import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importProgress } from '../../src/cli/import-progress.js';
import { FakeGithub } from '../fakes/fake-github.js';
import { FakeJira } from '../fakes/fake-jira.js';
import { binPath, cliEnvironment, runCli, startServe, type CliResult, type ServerProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A fake tracker with a project of `tasks` tasks (and another project), and the flags naming it. */
interface Tracker {
  provider: 'github' | 'jira';
  token: string;
  /** The flags that say where the tracker is and which project (no token). */
  flags: string[];
  /** The project as --from names it, another way, and one it does not have. */
  from: string;
  fromOtherwise: string;
  missing: string;
  /** How many tasks the project has, subtasks included (pull requests left out). */
  tasks: number;
  /** The first task: its external id, and its title on the tracker. */
  first: { id: string; title: string };
  /** Two tasks as --only names them. */
  only: string;
  /** What an unknown project's error lists. */
  visible: string[];
  retitle(externalId: string, title: string): void;
  stop(): Promise<void>;
}

const trackers: Record<Tracker['provider'], () => Promise<Tracker>> = {
  async github() {
    const token = 'ghp_0123456789abcdefghijklmnopqrstuvwxyz';
    const fake = await new FakeGithub(token).addRepo('acme/shop', { issues: 30, pulls: 5 }).addRepo('acme/web', { issues: 2 }).start();
    fake.addComments('acme/shop', 1, 2);
    return {
      provider: 'github',
      token,
      flags: ['--base-url', fake.url],
      from: 'acme/shop',
      fromOtherwise: 'ACME/Shop',
      missing: 'acme/nope',
      tasks: 30,
      first: { id: '1', title: 'Issue 1' },
      only: '1,#2',
      visible: ['acme/shop', 'acme/web'],
      retitle: (id, title) => void (fake.repos.get('acme/shop')!.issues.find((issue) => issue.number === Number(id))!.title = title),
      stop: () => fake.stop(),
    };
  },
  async jira() {
    const token = 'ATATT3xFfGF0abcdefghijklmnopqrstuvwxyz0123456789';
    const fake = new FakeJira('mia@example.com', token);
    fake.addProject('SHOP', 'Shop');
    fake.addProject('WEB', 'Web');
    const issues = Array.from({ length: 20 }, (_, index) => fake.addIssue('SHOP', `Issue ${index + 1}`));
    for (let index = 1; index <= 3; index++) fake.addIssue('SHOP', `Step ${index}`, { parent: issues[0]!.key });
    fake.addIssue('WEB', 'Elsewhere');
    await fake.start();
    return {
      provider: 'jira',
      token,
      flags: ['--base-url', fake.url, '--email', 'mia@example.com'],
      from: 'SHOP',
      fromOtherwise: 'shop',
      missing: 'NOPE',
      tasks: 23,
      first: { id: 'SHOP-1', title: 'SHOP-1 Issue 1' },
      only: 'SHOP-2,shop-3',
      visible: ['SHOP  Shop (SHOP)', 'WEB  Web (WEB)'],
      retitle: (id, title) => void (fake.issues.find((issue) => issue.key === id)!.summary = title),
      stop: () => fake.stop(),
    };
  },
};

const modes = ['locally', 'through a running server'] as const;
const cases = (['github', 'jira'] as const).flatMap((provider) => modes.map((mode) => [provider, mode] as const));

describe.each(cases)('wfhub import %s, %s', (provider, mode) => {
  const folder = tempDir(`wfhub-cli-import-${provider}-`);
  let tracker: Tracker;
  let server: ServerProcess | undefined;
  /** Everything the command printed, to look for the token in. */
  const printed: string[] = [];
  const wfhub = async (args: string[], options: { env?: Record<string, string>; input?: string } = {}) => {
    const result = await runCli(args, { cwd: folder.dir, ...options });
    printed.push(result.stdout, result.stderr);
    return result;
  };
  const importArgs = (...extra: string[]) => ['import', provider, ...tracker.flags, '--from', tracker.from, '--into', 'Shop', ...extra];
  const tasksOfShop = async () => JSON.parse((await wfhub(['task', 'list', '--project', 'Shop', '--json', '--limit', '1000'])).stdout) as { id: number; title: string; parent_id: number | null }[];

  beforeAll(async () => {
    tracker = await trackers[provider]();
    if (mode === 'through a running server') server = await startServe({ cwd: folder.dir });
    const added = await wfhub(['project', 'add', 'Shop', '--workspace', 'shop']);
    expect(added.code, added.stderr).toBe(0);
  });
  afterAll(async () => {
    await server?.stop();
    await tracker?.stop();
    folder.cleanup();
  });

  it("refuses a wrong token with the tracker's words, keeps nothing and never prints the token", async () => {
    const wrong = `${tracker.token.slice(0, -6)}WRONG1`;
    const refused = await wfhub(importArgs('--token-env', 'TRACKER_TOKEN'), { env: { TRACKER_TOKEN: wrong } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refused the credential');
    expect(refused.stdout).toBe('');
    expect(refused.stdout + refused.stderr).not.toContain(wrong);

    const nothingKept = await wfhub(importArgs('--list'));
    expect(nothingKept.code).toBe(1);
    expect(nothingKept.stderr).toMatch(/No .* credential is kept/);
    expect(nothingKept.stderr).toContain('--token-env');

    const unset = await wfhub(importArgs('--token-env', 'NOT_SET'));
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain('NOT_SET is not set');
    // The token given where a variable's name goes is not repeated.
    const misused = await wfhub(importArgs('--token-env', tracker.token));
    expect(misused.code).toBe(1);
    expect(misused.stderr).toContain('not the token itself');
    expect(misused.stderr).not.toContain(tracker.token);

    const both = await wfhub(importArgs('--token-env', 'TRACKER_TOKEN', '--token-stdin'), { env: { TRACKER_TOKEN: tracker.token } });
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('cannot be used with');
  });

  it("lists the tracker project's tasks, keeping the token it was given for next time", async () => {
    const listed = await wfhub(importArgs('--token-env', 'TRACKER_TOKEN', '--list'), { env: { TRACKER_TOKEN: tracker.token } });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).toMatch(/kept credential 1 \(/);
    expect(listed.stdout).toMatch(/^EXTERNAL ID\s+STATUS\s+IMPORTED\s+TITLE$/m);
    expect(listed.stdout).toMatch(new RegExp(`^${tracker.first.id}\\s+todo\\s+no\\s+${tracker.first.title}$`, 'm'));
    expect(listed.stdout).toContain(`${tracker.tasks} tasks in `);
    expect(listed.stdout).toContain(', 0 imported');
    expect(listed.stdout).not.toContain('Pull request');

    const json = await wfhub(importArgs('--list', '--json'));
    expect(json.code, json.stderr).toBe(0);
    const tasks = JSON.parse(json.stdout) as { external_id: string; imported: boolean }[];
    expect(tasks).toHaveLength(tracker.tasks);
    expect(tasks.every((task) => !task.imported)).toBe(true);
  });

  it('says which projects the credential sees when --from names none', async () => {
    const missing = await wfhub(['import', provider, ...tracker.flags, '--from', tracker.missing, '--into', 'Shop']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`"${tracker.missing}" that credential 1`);
    for (const line of tracker.visible) expect(missing.stderr).toContain(line);
    const noProject = await wfhub(['import', provider, ...tracker.flags, '--from', tracker.from, '--into', 'Nowhere']);
    expect(noProject.code).toBe(1);
    expect(noProject.stderr).toContain('project Nowhere does not exist');
  });

  it('imports every task with the kept credential, showing progress on stderr and the counts on stdout', async () => {
    const imported = await wfhub(importArgs());
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toBe(`Imported ${tracker.tasks} tasks into Shop: ${tracker.tasks} created, 0 updated, 0 unchanged\n`);
    expect(imported.stderr).toContain('using credential 1 (');
    const progress = imported.stderr.split('\n').filter((line) => / of \d+ tasks \(\d+%\)$/.test(line));
    expect(progress.at(-1)).toMatch(new RegExp(`^Importing .+ into Shop: ${tracker.tasks} of ${tracker.tasks} tasks \\(100%\\)$`));
    // Not a line per task on a pipe: a few along the way.
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.length).toBeLessThan(tracker.tasks);
    expect(imported.stderr).not.toContain('\r');

    const tasks = await tasksOfShop();
    expect(tasks).toHaveLength(tracker.tasks);
    const first = tasks.find((task) => task.title === tracker.first.title);
    expect(first).toBeDefined();
    if (provider === 'jira') expect(tasks.filter((task) => task.parent_id === first!.id).map((task) => task.title).sort()).toEqual(['SHOP-21 Step 1', 'SHOP-22 Step 2', 'SHOP-23 Step 3']);
  });

  it('imports again without copying anything, reusing the credential kept for the same account', async () => {
    const again = await wfhub(['import', provider, ...tracker.flags, '--from', tracker.fromOtherwise, '--into', 'Shop', '--token-stdin', '--json'], { input: `${tracker.token}\n` });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ credential_id: 1, mapping_id: 1, created: 0, updated: 0, unchanged: tracker.tasks, failed: [] });
    expect(again.stderr).toContain('kept before for the same account');
    expect(await tasksOfShop()).toHaveLength(tracker.tasks);

    const text = await wfhub(importArgs('--credential', '1'));
    expect(text.stdout).toBe(`Imported ${tracker.tasks} tasks into Shop: 0 created, 0 updated, ${tracker.tasks} unchanged\n`);

    const listed = await wfhub(importArgs('--list'));
    expect(listed.stdout).toMatch(new RegExp(`^${tracker.first.id}\\s+todo\\s+#\\d+\\s+${tracker.first.title}$`, 'm'));
    expect(listed.stdout).toContain(`, ${tracker.tasks} imported`);
  });

  it('imports only the tasks named, and refuses one the project does not have', async () => {
    const only = await wfhub(importArgs('--only', tracker.only, '--json'));
    expect(only.code, only.stderr).toBe(0);
    expect(JSON.parse(only.stdout)).toMatchObject({ created: 0, updated: 0, unchanged: 2, failed: [] });
    const unknown = await wfhub(importArgs('--only', '9999'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('has no task 9999');
  });

  it('updates what changed on the tracker since', async () => {
    tracker.retitle(tracker.first.id, 'Renamed on the tracker');
    const updated = await wfhub(importArgs());
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toBe(`Imported ${tracker.tasks} tasks into Shop: 0 created, 1 updated, ${tracker.tasks - 1} unchanged\n`);
    const titles = (await tasksOfShop()).map((task) => task.title);
    expect(titles.filter((title) => title.endsWith('Renamed on the tracker'))).toHaveLength(1);
    expect(titles).not.toContain(tracker.first.title);
  });

  it('never printed the token', () => {
    expect(printed.length).toBeGreaterThan(20);
    for (const output of printed) expect(output).not.toContain(tracker.token);
  });
});

describe('import progress', () => {
  const recorder = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, output: { isTTY, write: (text: string) => void writes.push(text) } };
  };

  it('redraws one line in place on a terminal, and leaves the last state on its own line', () => {
    const { writes, output } = recorder(true);
    let clock = 0;
    const progress = importProgress(output, 'Importing acme/shop into Shop', { now: () => clock });
    progress.start('reading the tasks');
    for (let done = 1; done <= 500; done++) {
      clock += 1;
      progress.update(done, 500);
    }
    progress.end();
    const text = writes.join('');
    expect(text.split('\n')).toEqual([expect.any(String), '']);
    expect(writes.every((write) => write === '\n' || write.startsWith('\r\x1b[2K'))).toBe(true);
    expect(writes.at(-2)).toBe('\r\x1b[2KImporting acme/shop into Shop: 500 of 500 tasks (100%)');
    // Redrawn as time goes by, not for every task.
    expect(writes.length).toBeLessThan(20);
  });

  it('keeps a redrawn line within the terminal, the counts kept', () => {
    const { writes, output } = recorder(true);
    const progress = importProgress({ ...output, columns: 30 }, 'Importing a project with a very long name into Shop');
    progress.update(7, 9);
    progress.end();
    expect([...writes[0]!.slice('\r\x1b[2K'.length)]).toHaveLength(29);
    expect(writes[0]).toMatch(/^\r\x1b\[2K….*: 7 of 9 tasks \(77%\)$/);
  });

  it('prints a line at each tenth on a pipe, the last state included, even when subtasks raise the total', () => {
    const { writes, output } = recorder(false);
    const progress = importProgress(output, 'Importing SHOP', { now: () => 0 });
    progress.start('reading the tasks');
    for (let done = 1; done <= 100; done++) progress.update(done, 100);
    progress.update(101, 103);
    progress.update(102, 103);
    progress.update(103, 103);
    progress.end();
    expect(writes.every((write) => write.endsWith('\n') && !write.includes('\r'))).toBe(true);
    expect(writes[0]).toBe('Importing SHOP: reading the tasks\n');
    expect(writes.length).toBeLessThanOrEqual(14);
    expect(writes.at(-1)).toBe('Importing SHOP: 103 of 103 tasks (100%)\n');
  });
});

describe('wfhub import stopped with Ctrl-C, locally', () => {
  const folder = tempDir('wfhub-cli-import-stopped-');
  const token = 'ghp_stopped0123456789abcdefghijklmnopq';
  let fake: FakeGithub;
  /** While set, the fake holds its answers for issues past the 8th until it settles. */
  let hold: Promise<void> | undefined;
  let release = () => {};

  beforeAll(async () => {
    fake = new FakeGithub(token).addRepo('acme/slow', { issues: 40 });
    const faked = fake as unknown as { handle(request: IncomingMessage, response: ServerResponse): Promise<void> };
    const handle = faked.handle.bind(fake);
    faked.handle = async (request, response) => {
      const number = /\/issues\/(\d+)$/.exec(new URL(request.url ?? '/', 'http://fake').pathname)?.[1];
      if (hold && number && Number(number) > 8) await hold;
      return handle(request, response);
    };
    await fake.start();
    expect((await runCli(['project', 'add', 'Slow', '--workspace', 'slow'], { cwd: folder.dir })).code).toBe(0);
  });
  afterAll(async () => {
    release();
    await fake?.stop();
    folder.cleanup();
  });

  it('stops after the tasks under way, keeps what it wrote, and the next import brings the rest', async () => {
    hold = new Promise((resolve) => (release = resolve));
    const args = ['import', 'github', '--base-url', fake.url, '--from', 'acme/slow', '--into', 'Slow'];
    const child = spawn(process.execPath, [binPath, ...args, '--token-env', 'TRACKER_TOKEN'], { cwd: folder.dir, env: cliEnvironment(folder.dir, { TRACKER_TOKEN: token }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const deadline = Date.now() + 30_000;
    while (!/ of 40 tasks/.test(stderr) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    child.kill('SIGINT');
    // The readers waiting on the tracker finish their task, then stop.
    setTimeout(() => release(), 300);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    hold = undefined;
    expect(code).toBe(1);
    expect(stderr).toContain('The import was stopped; what it wrote stays');

    const again = await runCli([...args, '--json'], { cwd: folder.dir });
    expect(again.code, again.stderr).toBe(0);
    const counts = JSON.parse(again.stdout) as { created: number; unchanged: number; updated: number };
    expect(counts.unchanged).toBeGreaterThanOrEqual(1);
    expect(counts.created).toBeGreaterThanOrEqual(1);
    expect(counts.created + counts.unchanged).toBe(40);
  });
});
