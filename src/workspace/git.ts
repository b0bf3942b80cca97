import { execFile } from 'node:child_process';
import { copyFile, lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Who wfhub's commits are by. */
export interface GitIdentity {
  name: string;
  email: string;
}

export class GitError extends Error {
  override readonly name = 'GitError';
  constructor(
    message: string,
    readonly args: readonly string[],
    readonly stderr: string,
  ) {
    super(message);
  }
}

/**
 * Settings for every git wfhub runs: no hooks, no file-system monitor, no signing program (and diffs
 * run without external diff programs or text conversions), whatever a repository's config says, so git here never starts a program a
 * repository's config names (it is passed on to git's own child processes too).
 */
const hardening = [
  '-c', 'core.quotepath=off',
  '-c', 'core.fsmonitor=false',
  '-c', 'core.hooksPath=/dev/null',
  '-c', 'commit.gpgSign=false',
];

/** Git's empty tree, for a first commit and for diffs of a repository without commits. */
const emptyTree = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** The largest diff kept with a run; a bigger one is cut with a note. */
const maxDiffBytes = 1_000_000;

function cutDiff(text: string): string {
  return Buffer.byteLength(text) > maxDiffBytes ? `${text.slice(0, maxDiffBytes)}\n[... diff cut at 1 MB ...]\n` : text;
}

/**
 * Git in one workspace, through the real `git` command. Nothing here touches the user's index or
 * working tree except `commitPaths` (which commits only the paths a run changed) and `restore`.
 */
export class WorkspaceGit {
  constructor(
    readonly dir: string,
    private readonly identity: GitIdentity,
    /**
     * The repository's git folder when it must not be found through the checkout's own `.git`
     * (a task worktree: its admin folder in the main repository, found there).
     */
    private readonly gitDir?: string,
  ) {}

  async run(args: readonly string[], options: { env?: NodeJS.ProcessEnv; allowFailure?: boolean; input?: string } = {}): Promise<string> {
    const result = await this.exec(args, options);
    if (result.code !== 0 && !options.allowFailure) {
      throw new GitError(`git ${args[0]} failed in ${this.dir}: ${result.stderr.trim() || result.error}`, args, result.stderr);
    }
    return result.stdout;
  }

  /** Runs git and answers its exit code with its output, whatever the code. */
  exec(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<{ code: number; stdout: string; stderr: string; error?: string }> {
    return new Promise((resolve) => {
      const child = execFile(
        'git',
        [...hardening, '-c', `user.name=${this.identity.name}`, '-c', `user.email=${this.identity.email}`, ...args],
        {
          cwd: this.dir,
          // Literal pathspecs: a file named `f[1].txt` is that file, not a pattern.
          env: {
            ...process.env,
            GIT_TERMINAL_PROMPT: '0',
            GIT_PAGER: 'cat',
            LC_ALL: 'C',
            GIT_LITERAL_PATHSPECS: '1',
            ...(this.gitDir && { GIT_DIR: this.gitDir, GIT_WORK_TREE: this.dir }),
            ...options.env,
          },
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ code, stdout, stderr, ...(error && { error: error.message }) });
        },
      );
      // A git command that exits without reading its input must not fail the call with EPIPE.
      child.stdin?.on('error', () => {});
      child.stdin?.end(options.input);
    });
  }

  /** Whether `ancestor` is `descendant` or one of its ancestors. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return (await this.exec(['merge-base', '--is-ancestor', ancestor, descendant])).code === 0;
  }

  /** Whether the workspace is the top of its own repository (not a folder inside another one). */
  async isRepository(): Promise<boolean> {
    const top = (await this.run(['rev-parse', '--show-toplevel'], { allowFailure: true })).trim();
    return top !== '' && path.resolve(top) === path.resolve(this.dir);
  }

  /** Makes the workspace a repository of its own when it is not, with a first commit of what is there. */
  async ensureRepository(): Promise<boolean> {
    if (await this.isRepository()) {
      if ((await this.run(['rev-parse', '--verify', '-q', 'HEAD'], { allowFailure: true })).trim() === '') {
        // A repository without commits: an empty first commit, so nothing the user staged is taken.
        const commit = (await this.run(['commit-tree', emptyTree, '-m', 'Initial commit'])).trim();
        await this.run(['update-ref', 'HEAD', commit]);
      }
      return false;
    }
    await this.run(['init', '-q', '-b', 'main']);
    await this.run(['add', '-A']);
    await this.run(['commit', '--allow-empty', '-q', '-m', 'Initial commit (the workspace as wfhub found it)']);
    return true;
  }

  async head(): Promise<string> {
    return (await this.run(['rev-parse', 'HEAD'])).trim();
  }

  /**
   * The whole working tree (tracked changes and untracked, not ignored, files) as a tree object,
   * written through a private index so the user's own index is left alone.
   */
  async workingTree(): Promise<string> {
    const folder = await mkdtemp(path.join(tmpdir(), 'wfhub-index-'));
    const env = { GIT_INDEX_FILE: path.join(folder, 'index') };
    try {
      await this.run(['read-tree', 'HEAD'], { env });
      // Submodules are taken as HEAD has them: looking into one runs git there, under a config
      // wfhub does not control.
      const gitlinks = await this.gitlinksIn('HEAD');
      if (gitlinks.size > 0) await this.run(['update-index', '--skip-worktree', '-z', '--stdin'], { env, input: `${[...gitlinks].join('\0')}\0` });
      await this.run(['add', '-A'], { env });
      return (await this.run(['write-tree'], { env })).trim();
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }

  /** Records the working tree as a commit under `ref` (refs/wfhub/...), so nothing in it can be lost. */
  async snapshot(ref: string, message: string): Promise<string> {
    const commit = await this.snapshotCommit(message);
    await this.run(['update-ref', ref, commit]);
    return commit;
  }

  /**
   * The user's index (what they staged) as a tree, read from a copy so their index is not even
   * locked; undefined when it cannot be one (a merge with conflicts under way).
   */
  async indexTree(): Promise<string | undefined> {
    const index = (await this.run(['rev-parse', '--path-format=absolute', '--git-path', 'index'])).trim();
    const folder = await mkdtemp(path.join(tmpdir(), 'wfhub-index-'));
    try {
      const copy = path.join(folder, 'index');
      try {
        await copyFile(index, copy);
      } catch {
        return undefined; // no index yet: nothing staged
      }
      const written = await this.exec(['write-tree'], { env: { GIT_INDEX_FILE: copy } });
      return written.code === 0 ? written.stdout.trim() : undefined;
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }

  /** The working tree as a commit on top of HEAD, reachable from nothing until a ref names it. */
  async snapshotCommit(message: string): Promise<string> {
    const tree = await this.workingTree();
    return (await this.run(['commit-tree', tree, '-p', 'HEAD', '-m', message])).trim();
  }

  /** The paths of submodules (and other nested repositories, mode 160000) in a tree or commit. */
  async gitlinksIn(treeish: string): Promise<Set<string>> {
    const listed = await this.run(['ls-tree', '-r', '-z', '--full-tree', treeish]);
    const paths = new Set<string>();
    for (const entry of listed.split('\0')) if (entry.startsWith('160000 ')) paths.add(entry.slice(entry.indexOf('\t') + 1));
    return paths;
  }

  /** Paths that differ between two trees or commits. */
  async changedPaths(from: string, to: string): Promise<string[]> {
    const output = await this.run(['diff', '--name-only', '-z', '--no-renames', from, to]);
    return output.split('\0').filter(Boolean).sort();
  }

  /** The diff between two trees or commits, cut at 1 MB. */
  async diff(from: string, to: string): Promise<string> {
    return cutDiff(await this.run(['diff', '--no-color', '--no-ext-diff', '--no-textconv', from, to]));
  }

  /**
   * Commits exactly `paths` as they are in the working tree, created, changed or deleted, on top
   * of HEAD. Built in a private index, so nothing else the user staged goes in; the user's index
   * then takes the committed paths, which are no longer changes.
   */
  async commitPaths(paths: readonly string[], message: string): Promise<string | undefined> {
    if (paths.length === 0) return undefined;
    const input = `${paths.join('\0')}\0`;
    const folder = await mkdtemp(path.join(tmpdir(), 'wfhub-index-'));
    const env = { GIT_INDEX_FILE: path.join(folder, 'index') };
    let commit: string;
    try {
      const parent = await this.head();
      await this.run(['read-tree', 'HEAD'], { env });
      await this.run(['update-index', '--add', '--remove', '-z', '--stdin'], { env, input });
      const tree = (await this.run(['write-tree'], { env })).trim();
      commit = (await this.run(['commit-tree', tree, '-p', parent, '-m', message])).trim();
      await this.run(['update-ref', '-m', 'wfhub: commit a run', 'HEAD', commit, parent]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
    await this.run(['update-index', '--add', '--remove', '-z', '--stdin'], { input });
    return commit;
  }

  /** Paths whose content in the working tree (`snapshot`) differed from HEAD: the user's uncommitted work. */
  async uncommittedIn(snapshot: string): Promise<Set<string>> {
    return new Set(await this.changedPaths('HEAD', snapshot));
  }

  /** The worktrees of this repository (the main one first), with the branch each has checked out. */
  async worktrees(): Promise<{ path: string; head: string | null; branch: string | null }[]> {
    const output = await this.run(['worktree', 'list', '--porcelain', '-z']);
    const entries: { path: string; head: string | null; branch: string | null }[] = [];
    let current: { path: string; head: string | null; branch: string | null } | undefined;
    for (const field of output.split('\0')) {
      if (field.startsWith('worktree ')) entries.push((current = { path: field.slice(9), head: null, branch: null }));
      else if (current && field.startsWith('HEAD ')) current.head = field.slice(5);
      else if (current && field.startsWith('branch ')) current.branch = field.slice(7).replace(/^refs\/heads\//, '');
    }
    return entries;
  }

  /** The commit a ref or branch names, or undefined when there is none. */
  async resolve(ref: string): Promise<string | undefined> {
    return (await this.run(['rev-parse', '--verify', '-q', `${ref}^{commit}`], { allowFailure: true })).trim() || undefined;
  }

  /**
   * Fetches `branch` from `remote` into the local ref `into`, and answers the commit it is at;
   * undefined when the remote has no such branch or cannot be reached.
   */
  async fetchBranch(remote: string, branch: string, into: string): Promise<string | undefined> {
    const fetched = await this.exec(['fetch', '-q', '--no-tags', '--', remote, `+refs/heads/${branch}:${into}`]);
    return fetched.code === 0 ? this.resolve(into) : undefined;
  }

  /** The tree a ref names, or undefined. */
  async resolveTree(ref: string): Promise<string | undefined> {
    return (await this.run(['rev-parse', '--verify', '-q', `${ref}^{tree}`], { allowFailure: true })).trim() || undefined;
  }

  /** The branch checked out here, or undefined on a detached HEAD. */
  async currentBranch(): Promise<string | undefined> {
    return (await this.run(['symbolic-ref', '--short', '-q', 'HEAD'], { allowFailure: true })).trim() || undefined;
  }

  /**
   * Merges `branch` into `target` without touching any working tree: the merged tree, or the
   * files that conflict (then nothing is written but loose objects git collects later).
   */
  async mergeTree(target: string, branch: string): Promise<{ tree: string; conflicts: [] } | { tree: undefined; conflicts: string[] }> {
    const output = await this.exec(['merge-tree', '--write-tree', '--no-messages', '--name-only', '-z', target, branch]);
    const [tree = '', ...files] = output.stdout.split('\0').filter(Boolean);
    if (output.code === 0) return { tree, conflicts: [] };
    if (output.code === 1) return { tree: undefined, conflicts: [...new Set(files)].sort() };
    throw new GitError(`git merge-tree failed in ${this.dir}: ${output.stderr.trim()}`, ['merge-tree'], output.stderr);
  }

  /** Branch, HEAD and uncommitted changes; `repository: false` for a folder git does not manage yet. */
  async status(): Promise<{ repository: boolean; branch: string | null; head: string | null; changes: { status: string; path: string }[] }> {
    if (!(await this.isRepository())) return { repository: false, branch: null, head: null, changes: [] };
    const [branch, head, porcelain] = await Promise.all([
      this.run(['symbolic-ref', '--short', '-q', 'HEAD'], { allowFailure: true }),
      this.run(['rev-parse', '--verify', '-q', 'HEAD'], { allowFailure: true }),
      // No optional locks: reading the status never takes index.lock from a run's own git.
      this.run(['--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignore-submodules=all']),
    ]);
    // With -z, a rename or copy is followed by its old path as a field of its own.
    const fields = porcelain.split('\0');
    const changes: { status: string; path: string }[] = [];
    for (let index = 0; index < fields.length; index++) {
      const entry = fields[index]!;
      if (entry.length <= 3) continue;
      const status = entry.slice(0, 2);
      changes.push({ status, path: entry.slice(3) });
      if (status[0] === 'R' || status[0] === 'C') index++;
    }
    return { repository: true, branch: branch.trim() || null, head: head.trim() || null, changes };
  }

  /** Uncommitted changes against HEAD, tracked files only (as `git diff HEAD`), cut at 1 MB. */
  async uncommittedDiff(): Promise<string> {
    if (!(await this.isRepository())) return '';
    const head = (await this.run(['rev-parse', '--verify', '-q', 'HEAD'], { allowFailure: true })).trim();
    return cutDiff(await this.run(['diff', '--no-color', '--no-ext-diff', '--no-textconv', '--ignore-submodules=all', head || emptyTree]));
  }

  async log(limit: number): Promise<{ sha: string; author: string; date: string; subject: string }[]> {
    if (!(await this.isRepository())) return [];
    const output = await this.run(['log', `-${limit}`, '--format=%H%x1f%an%x1f%aI%x1f%s%x1e'], { allowFailure: true });
    return output
      .split('\x1e')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => {
        const [sha = '', author = '', date = '', subject = ''] = entry.split('\x1f');
        return { sha, author, date, subject };
      });
  }

  /**
   * Whether every folder on the way to `file` is a real folder inside the checkout: a folder a
   * command replaced by a symlink must not lead a removal elsewhere.
   */
  private async hasNoLinkOnTheWay(file: string): Promise<boolean> {
    const parts = file.split('/');
    let current = this.dir;
    for (const part of parts.slice(0, -1)) {
      if (part === '..' || part === '.' || part === '') return false;
      current = path.join(current, part);
      try {
        if (!(await lstat(current)).isDirectory()) return false;
      } catch {
        return false;
      }
    }
    return true;
  }

  /**
   * Puts the files a run changed back as they were in the snapshot taken before it (restored, or
   * removed when it created them), and HEAD back to where it was when the commits since are the
   * run's own. Every other file, the user's later work included, is left alone. Answers the
   * paths it left as they are: folders and nested repositories, and files behind a link.
   */
  async restore(snapshot: string, runPaths: readonly string[], headBefore: string, indexBefore?: string): Promise<string[]> {
    const inSnapshot = new Set((await this.run(['ls-tree', '-r', '-z', '--name-only', snapshot])).split('\0').filter(Boolean));
    // Nested repositories (and folders) are left where they are: a run that cloned something
    // made them, and what is inside may be anyone's by now.
    const nested = new Set([...(await this.gitlinksIn(snapshot)), ...(await this.gitlinksIn('HEAD'))]);
    const left: string[] = [];
    const restored = runPaths.filter((file) => inSnapshot.has(file) && !nested.has(file));
    for (const file of runPaths) {
      if (inSnapshot.has(file) && !nested.has(file)) continue;
      if (nested.has(file) || !(await this.hasNoLinkOnTheWay(file))) {
        left.push(file);
        continue;
      }
      const stats = await lstat(path.join(this.dir, file)).catch(() => undefined);
      if (stats?.isDirectory()) left.push(file);
      else if (stats) await rm(path.join(this.dir, file), { force: true });
    }
    if (restored.length > 0) {
      // Written through a private index, so the user's staged work stays staged.
      const folder = await mkdtemp(path.join(tmpdir(), 'wfhub-index-'));
      try {
        const env = { GIT_INDEX_FILE: path.join(folder, 'index') };
        await this.run(['read-tree', snapshot], { env });
        await this.run(['checkout-index', '-f', '-z', '--stdin'], { env, input: `${restored.join('\0')}\0` });
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    }
    // HEAD last: until the files are back, the run's commit still names them.
    const current = await this.head();
    if (current !== headBefore) await this.run(['update-ref', '-m', 'wfhub: undo a run', 'HEAD', headBefore, current]);
    if (runPaths.length === 0) return left;
    if (indexBefore) {
      // The user's index: the run's paths staged as they were before it (a version the user had
      // staged included), or not there when they were not; other paths are untouched.
      const wanted = new Set(runPaths);
      const entries = (await this.run(['ls-tree', '-r', '-z', '--full-tree', indexBefore]))
        .split('\0')
        .filter((entry) => entry && wanted.has(entry.slice(entry.indexOf('\t') + 1)));
      const present = new Set(entries.map((entry) => entry.slice(entry.indexOf('\t') + 1)));
      const removals = runPaths.filter((file) => !present.has(file)).map((file) => `0 ${'0'.repeat(40)}\t${file}`);
      await this.run(['update-index', '-z', '--index-info'], { input: `${[...entries, ...removals].join('\0')}\0` });
      return left;
    }
    // Without a record of the index: the run's paths go back to what HEAD now holds.
    await this.run(['reset', '-q', '--pathspec-from-file=-', '--pathspec-file-nul'], { input: `${runPaths.join('\0')}\0`, allowFailure: true });
    return left;
  }
}
