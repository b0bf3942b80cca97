import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../src/projects/project.schema.js';
import { RunCheckouts } from '../../src/runs/run-checkout.js';
import type { Task } from '../../src/tasks/task.schema.js';
import type { WorkspaceGit } from '../../src/workspace/git.js';
import { RemoteClones } from '../../src/workspace/remote-clones.js';
import { TaskWorktrees } from '../../src/workspace/task-worktrees.js';
import { WorkspaceRoot } from '../../src/workspace/workspace-root.js';
import { git } from '../helpers/git.js';
import { tempDir } from '../helpers/temp-dir.js';

const identity = { name: 'Hub Bot', email: 'bot@example.com' };

describe("a task branch kept the same on every machine through the project's remote", () => {
  let folder: { dir: string; cleanup: () => void };
  let remote: string;
  let elsewhere: string;
  let checkouts: RunCheckouts;
  let project: Project;
  const task = { id: 7, project_id: 1, title: 'Shared work' } as Task;
  const branch = 'wfhub/task-7';

  beforeAll(async () => {
    folder = tempDir('wfhub-checkout-');
    remote = path.join(folder.dir, 'remote.git');
    git(folder.dir, 'init', '-q', '--bare', '-b', 'main', remote);
    elsewhere = path.join(folder.dir, 'elsewhere');
    git(folder.dir, 'clone', '-q', remote, elsewhere);
    writeFileSync(path.join(elsewhere, 'README.md'), '# App\n');
    git(elsewhere, 'add', '-A');
    git(elsewhere, 'commit', '-q', '-m', 'A');
    git(elsewhere, 'push', '-q', 'origin', 'HEAD:main');
    const workspacesDir = path.join(folder.dir, 'workspaces');
    mkdirSync(workspacesDir);
    git(workspacesDir, 'clone', '-q', remote, 'app');
    const workspaces = new WorkspaceRoot(workspacesDir);
    const dataDir = path.join(folder.dir, 'data');
    checkouts = new RunCheckouts({
      workspaces,
      worktrees: new TaskWorktrees(path.join(dataDir, 'worktrees'), identity),
      clones: new RemoteClones(path.join(dataDir, 'clones'), identity),
      gitIdentity: identity,
      embedded: false,
    });
    project = {
      id: 1,
      name: 'App',
      workspace_path: 'app',
      workspace_dir: path.join(workspacesDir, 'app'),
      workspaces_id: await workspaces.id(),
      environment: {},
      settings: { git_remote: remote },
      created_at: new Date(),
      updated_at: new Date(),
    };
  });
  afterAll(() => folder.cleanup());

  /** A commit on the task branch made on the other machine and pushed. */
  function pushElsewhere(file: string, message: string): string {
    writeFileSync(path.join(elsewhere, file), `${message}\n`);
    git(elsewhere, 'add', '-A');
    git(elsewhere, 'commit', '-q', '-m', message);
    git(elsewhere, 'push', '-q', 'origin', `HEAD:refs/heads/${branch}`);
    return git(elsewhere, 'rev-parse', 'HEAD');
  }

  /** A commit of this machine's in the task's worktree, not pushed. */
  async function commitHere(repository: WorkspaceGit, file: string, message: string): Promise<string> {
    writeFileSync(path.join(repository.dir, file), `${message}\n`);
    await repository.run(['add', '-A']);
    await repository.run(['commit', '-q', '-m', message]);
    return repository.head();
  }

  it('works on task branches by default with a remote, and brings in what another machine pushed', async () => {
    git(elsewhere, 'checkout', '-q', '-b', branch);
    const pushed = pushElsewhere('x.txt', 'X');
    expect(await checkouts.isolationFor(project)).toBe('worktree');
    const checkout = await checkouts.open(project, task, 'worktree');
    expect(checkout).toMatchObject({ isolation: 'worktree', branch, pushTo: remote });
    expect(await checkout.repository.head()).toBe(pushed);
    expect(readFileSync(path.join(checkout.repository.dir, 'x.txt'), 'utf8')).toBe('X\n');
  });

  it('drops a commit undone on the remote instead of pushing it back, and keeps one nobody pushed yet', async () => {
    const before = git(elsewhere, 'rev-parse', 'HEAD~1');
    const undone = git(elsewhere, 'rev-parse', 'HEAD');
    // The undo of the run that made X, as wfhub pushes it: the branch back, X recorded as undone.
    git(elsewhere, 'push', '-q', '--atomic', '--force', 'origin', `${before}:refs/heads/${branch}`, `${undone}:refs/wfhub/undone/run-1`);
    const checkout = await checkouts.open(project, task, 'worktree');
    expect(await checkout.repository.head()).toBe(before);

    // A commit of this machine's that did not reach the remote yet stays, to be pushed.
    const mine = await commitHere(checkout.repository, 'mine.txt', 'Mine');
    expect(await (await checkouts.open(project, task, 'worktree')).repository.head()).toBe(mine);
    expect(await checkouts.push(checkout)).toEqual({ pushed: true });
    expect(git(remote, 'rev-parse', branch)).toBe(mine);
  });

  it('refuses, changing nothing, when work of this machine sits on top of a commit undone on the remote', async () => {
    const base = git(remote, 'rev-parse', branch);
    git(elsewhere, 'fetch', '-q', 'origin');
    git(elsewhere, 'reset', '-q', '--hard', `origin/${branch}`);
    const doomed = pushElsewhere('doomed.txt', 'Doomed');
    const checkout = await checkouts.open(project, task, 'worktree');
    expect(await checkout.repository.head()).toBe(doomed);
    const onTop = await commitHere(checkout.repository, 'on-top.txt', 'On top');
    git(elsewhere, 'push', '-q', '--force', 'origin', `${base}:refs/heads/${branch}`, `${doomed}:refs/wfhub/undone/run-2`);
    await expect(checkouts.open(project, task, 'worktree')).rejects.toMatchObject({ code: 'branch_holds_undone' });
    expect(await checkout.repository.head()).toBe(onTop);
  });
});
