import { hostname } from 'node:os';
import type { AgentService } from '../agent/agent-service.js';
import type { CommentService } from '../comments/comment.service.js';
import { AppError, ConflictError, UnprocessableError } from '../core/errors.js';
import { commandLineExecutor } from '../executors/command-line-executor.js';
import { isExecutorName } from '../executors/installed-executors.js';
import { projectRemote } from '../projects/project-settings.js';
import type { Project } from '../projects/project.schema.js';
import type { ProjectService } from '../projects/project.service.js';
import type { TaskService } from '../tasks/task.service.js';
import type { Task } from '../tasks/task.schema.js';
import { WorkspaceGit, type GitIdentity } from '../workspace/git.js';
import type { RemoteClones } from '../workspace/remote-clones.js';
import { remoteTaskRef, type TaskWorktrees } from '../workspace/task-worktrees.js';
import { workspaceNotHere } from '../workspace/workspace-presence.js';
import type { WorkspaceRoot } from '../workspace/workspace-root.js';
import { undoneRef, type Checkout, type RunCheckouts } from './run-checkout.js';
import type { Run } from './run.schema.js';
import type { RunOutcome, RunService } from './run.service.js';
import type { GateResult } from './gate-result.schema.js';
import type { GateContext, RunGates } from './run-gates.js';
import type { TaskContextService } from '../context/task-context.service.js';
import type { TaskImages } from '../context/task-images.js';
import { runCommentAuthor, taskPromptSections } from '../context/task-prompt.js';

export interface RunWorkerDependencies {
  runs: RunService;
  tasks: TaskService;
  projects: ProjectService;
  comments: CommentService;
  taskContext: TaskContextService;
  taskImages: TaskImages;
  agent: AgentService;
  workspaces: WorkspaceRoot;
  worktrees: TaskWorktrees;
  clones: RemoteClones;
  checkouts: RunCheckouts;
  gitIdentity: GitIdentity;
  /** Puts a run whose workspace is busy back in the queue for a little later. */
  requeue: (runId: number) => Promise<void>;
  /** How long a claim on a run holds without a heartbeat; renewed every third of it. */
  leaseMs?: number;
  onError?: (error: unknown, runId: number) => void;
  /** Told when a run starts and ends here, for the operator's log. */
  onRun?: (run: Run, message: string) => void;
  /** What a run's role checks itself before and after the agent (the director's gates). */
  gates?: RunGates;
}

/** Where the workspace as it was before a run is kept. */
/** The command-line agent a run names, found on this worker's PATH (a clear error otherwise). */
function handOffFor(executor: string) {
  if (!isExecutorName(executor) || executor === 'builtin') {
    throw new UnprocessableError('unknown_executor', `The run names an executor wfhub does not know (${executor}); run the task again with one GET /executors lists.`);
  }
  return commandLineExecutor(executor);
}

export function snapshotRef(runId: number): string {
  return `refs/wfhub/runs/${runId}/before`;
}

/** Where what the user had staged before a run is kept (a tree). */
export function indexRef(runId: number): string {
  return `refs/wfhub/runs/${runId}/index`;
}

/** The git state a run starts from, kept to record what it changed. */
interface Before extends Checkout {
  snapshot: string;
  headBefore: string;
  autoCommit: boolean;
}

/**
 * Executes runs in this process: claims a queued run, gives its task to the agent, stores every
 * event as it happens, ends the run once and comments its outcome on the task. A run cancelled
 * elsewhere (its status changed in the database) is noticed at the next heartbeat and stopped.
 */
export class RunWorker {
  readonly id = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  private readonly active = new Map<number, AbortController>();
  private readonly leaseMs: number;
  private stopping = false;
  private executing = 0;
  private readonly executions = new Set<Promise<void>>();

  constructor(private readonly dependencies: RunWorkerDependencies) {
    this.leaseMs = dependencies.leaseMs ?? 60_000;
  }

  /** Runs executing in this process now, from their claim to their record being written. */
  get running(): number {
    return this.executing;
  }

  /** Stops a run executing here at once; answers whether it was here. */
  abort(runId: number, reason = 'The run was cancelled.'): boolean {
    const controller = this.active.get(runId);
    controller?.abort(new Error(reason));
    return controller !== undefined;
  }

  /** Takes runs again after `abortAll` (a scheduler started anew). */
  resume(): void {
    this.stopping = false;
  }

  /** Stops every run executing here because this process is stopping: they end as interrupted. */
  abortAll(reason: string): void {
    this.stopping = true;
    for (const controller of this.active.values()) controller.abort(new Error(reason));
  }

  /** Executes the run; false when this worker did not take it because it is stopping (the caller keeps its job). */
  async execute(runId: number): Promise<boolean> {
    if (this.stopping) return false;
    this.executing++;
    const execution = this.executeCounted(runId);
    this.executions.add(execution);
    try {
      await execution;
      return true;
    } finally {
      this.executions.delete(execution);
      this.executing--;
    }
  }

  /** Resolves when every execution in progress has recorded its end, or after `ms`. */
  async settled(ms: number): Promise<void> {
    if (this.executions.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.executions]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
    clearTimeout(timer);
  }

  private async executeCounted(runId: number): Promise<void> {
    const { runs, agent } = this.dependencies;
    let run: Run;
    try {
      run = await runs.get(runId);
    } catch {
      return; // deleted with its task
    }
    if (run.status !== 'queued') return;

    let outcome: RunOutcome;
    let lastSeq = 0;
    const controller = new AbortController();
    let heartbeat: NodeJS.Timeout | undefined;
    let git: Before | undefined;
    const gates: GateResult[] = [];
    try {
      const { workspace, autoCommit, project, task } = await this.prepare(run);
      const isolation = await this.dependencies.checkouts.isolationFor(project).catch(async (error: unknown) => {
        // Sent here before the project's settings changed (its git remote removed): the workers
        // that see its folder take it from their own queue.
        if (error instanceof ConflictError && error.code === 'workspace_not_here' && project.workspaces_id !== null) return undefined;
        throw error;
      });
      if (!isolation) {
        await this.dependencies.requeue(runId);
        return;
      }
      const claimed = await runs.claim(runId, this.id, this.leaseMs, isolation);
      if (claimed === 'gone') return;
      if (claimed === 'busy') {
        // Another run is working in the same workspace: this one stays queued and comes back.
        await this.dependencies.requeue(runId);
        return;
      }
      this.dependencies.onRun?.(claimed, `run ${runId} of task ${run.task_id} started (${isolation})`);
      // The lease is held from the claim on: a first clone of a large remote can take longer
      // than the lease itself.
      this.active.set(runId, controller);
      heartbeat = setInterval(() => {
        runs.renewLease(runId, this.id, this.leaseMs).then(
          (still) => {
            if (!still) controller.abort(new Error('The run was ended elsewhere (cancelled).'));
          },
          (error: unknown) => this.dependencies.onError?.(error, runId),
        );
      }, Math.max(1000, Math.floor(this.leaseMs / 3)));
      heartbeat.unref();
      git = await this.snapshotBefore(runId, await this.dependencies.checkouts.open(project, task, isolation), autoCommit);
      controller.signal.throwIfAborted();

      // The role's own checks come first, each stored as it ends; the agent is told their results.
      const gateContext: GateContext = { run: claimed, task, project, dir: git.repository.dir, repository: git.repository, mounts: git.mounts ?? [], signal: controller.signal };
      const recordGate = async (gate: GateResult) => {
        gates.push(gate);
        lastSeq++;
        await runs.appendEvent(runId, { seq: lastSeq, type: 'gate.result', data: { type: 'gate.result', seq: lastSeq, at: new Date().toISOString(), ...gate } });
      };
      const checked = this.dependencies.gates ? await this.dependencies.gates.before(gateContext, recordGate) : { sections: [] };
      controller.signal.throwIfAborted();
      const seqOffset = lastSeq;

      // The task's context is read where the run works (its worktree, say), so the git state and
      // files it is told of are the ones it will see.
      const context = await this.dependencies.taskContext.of(task, project, { dir: git.repository.dir, signal: controller.signal });
      const images = await this.dependencies.taskImages.notes(task.id, { signal: controller.signal });
      const start = await agent.prepare({
        message: context.objective,
        sections: [
          ...taskPromptSections(context, { message: run.message, network: project.settings.allow_network === true, imageNotes: images.notes }),
          ...checked.sections,
        ],
        warnings: images.warnings,
        workspace,
        ...(git.isolation !== 'in-place' && { checkout: { dir: git.repository.dir, mounts: git.mounts } }),
        ...(run.model && { model: run.model }),
        ...(run.node_id && { node: run.node_id }),
        ...(run.executor !== 'builtin' && { handOff: handOffFor(run.executor) }),
      });
      const result = await start({
        signal: controller.signal,
        about: { run_id: runId, task_id: run.task_id },
        onEvent: async (event) => {
          const seq = event.seq + seqOffset;
          lastSeq = seq;
          await runs.appendEvent(runId, { seq, type: event.type, data: { ...(event as unknown as Record<string, unknown>), seq } });
          if (event.type === 'run.started' && event.prompt !== undefined) await runs.recordPrompt(runId, event.prompt);
        },
      });
      outcome = {
        status: result.status === 'cancelled' && this.stopping ? 'interrupted' : result.status,
        ...(result.status !== 'succeeded' && {
          error:
            result.status === 'cancelled' && this.stopping
              ? { code: 'interrupted', message: 'wfhub stopped while the run was going on.' }
              : { code: result.stop.code, message: result.stop.message },
        }),
        summary: result.summary || undefined,
        filesChanged: result.files_changed,
        steps: result.usage.steps,
        promptTokens: result.usage.prompt_tokens,
        completionTokens: result.usage.completion_tokens,
        provider: result.provider,
        model: result.model,
      };
      if (this.dependencies.gates && result.status === 'succeeded') {
        const judged = await this.dependencies.gates.after(gateContext, { summary: result.summary || undefined, filesChanged: result.files_changed, gates });
        for (const gate of judged.gates) await recordGate(gate);
        outcome = { ...outcome, verdict: judged.verdict };
      }
    } catch (error) {
      this.dependencies.onError?.(error, runId);
      outcome = {
        status: controller.signal.aborted ? (this.stopping ? 'interrupted' : 'cancelled') : 'failed',
        error: { code: error instanceof AppError ? error.code : 'run_failed', message: error instanceof Error ? error.message : String(error) },
      };
    } finally {
      clearInterval(heartbeat);
      this.active.delete(runId);
    }

    if (git) {
      try {
        outcome = { ...outcome, ...(await this.recordAfter(runId, git, outcome, lastSeq)) };
      } catch (error) {
        // The run's own outcome stands; only its git record is missing.
        this.dependencies.onError?.(error, runId);
      }
    }
    const ended = await runs.finish(runId, { ...outcome, gates });
    if (ended) {
      const took = ended.started_at && ended.finished_at ? ` in ${Math.round((ended.finished_at.getTime() - ended.started_at.getTime()) / 1000)} s` : '';
      this.dependencies.onRun?.(ended, `run ${runId} of task ${ended.task_id} ${ended.status}${took}${ended.error ? `: ${ended.error.message}` : ''}`);
    }
  }

  /**
   * Before the agent touches anything: everything in the checkout, uncommitted work included, is
   * recorded under refs/wfhub/runs/<id>/before.
   */
  private async snapshotBefore(runId: number, checkout: Checkout, autoCommit: boolean): Promise<Before> {
    const headBefore = await checkout.repository.head();
    const snapshot = await checkout.repository.snapshot(snapshotRef(runId), `wfhub: the workspace before run ${runId}`);
    // What the user had staged, so an undo gives it back as it was.
    const index = await checkout.repository.indexTree();
    if (index) await checkout.repository.run(['update-ref', indexRef(runId), index]);
    await this.dependencies.runs.recordCheckout(runId, { headBefore, branch: checkout.branch });
    return { ...checkout, snapshot, headBefore, autoCommit };
  }

  /** After the agent: what the run changed (whatever tool did it), its diff, and a commit when it succeeded. */
  private async recordAfter(runId: number, git: Before, outcome: RunOutcome, lastSeq: number): Promise<Partial<RunOutcome>> {
    const after = await git.repository.workingTree();
    const paths = await git.repository.changedPaths(git.snapshot, after);
    const diff = await git.repository.diff(git.snapshot, after);
    let gitHeadAfter: string | undefined;
    // A clone's changes exist nowhere else until pushed, so they are always committed.
    const commits = git.autoCommit || git.isolation === 'clone';
    // Only a run still ours commits: one cancelled or swept meanwhile must not write history.
    if (outcome.status === 'succeeded' && commits && paths.length > 0 && (await this.dependencies.runs.renewLease(runId, this.id, this.leaseMs))) {
      // Files the user had uncommitted changes in are left uncommitted: a commit of them would
      // carry the user's work in progress under the run's name.
      const userWork = await git.repository.uncommittedIn(git.snapshot);
      // A repository the run made inside the workspace is not committed as a submodule: once in
      // HEAD, git would look into it, under whatever config the run gave it.
      const known = await git.repository.gitlinksIn('HEAD');
      const made = [...(await git.repository.gitlinksIn(after))].filter((file) => !known.has(file));
      const own = paths.filter((file) => !userWork.has(file) && !made.includes(file));
      const subject = (outcome.summary ?? '').split('\n')[0]!.trim().slice(0, 72) || `changes of run ${runId}`;
      gitHeadAfter = await git.repository.commitPaths(own, `wfhub run ${runId}: ${subject}`);
    }
    const recorded = { filesChanged: paths, diff, gitHeadAfter: gitHeadAfter ?? (await git.repository.head()) };
    if (!gitHeadAfter || !git.pushTo) return recorded;
    const push = await this.dependencies.checkouts.push(git);
    await this.dependencies.runs.appendEvent(runId, {
      seq: lastSeq + 1,
      type: 'git.push',
      data: { type: 'git.push', branch: git.branch, remote: git.pushTo, commit: gitHeadAfter, pushed: push.pushed, ...(push.error && { error: push.error }) },
    });
    if (push.pushed || git.isolation !== 'clone') return recorded;
    // Only this worker has the commit: the run did not do what it was for.
    return {
      ...recorded,
      status: 'failed',
      error: {
        code: 'push_failed',
        message: `The changes are committed (${gitHeadAfter.slice(0, 12)}) in this worker's clone, but pushing ${git.branch} failed: ${push.error}. Check this worker's access to the remote, then run the task again.`,
      },
    };
  }

  private async prepare(run: Run): Promise<{ workspace: string; autoCommit: boolean; project: Project; task: Task }> {
    const { tasks, projects } = this.dependencies;
    const task = await tasks.get(run.task_id);
    const project = await projects.get(task.project_id);
    return {
      workspace: project.workspace_path,
      autoCommit: project.settings.auto_commit !== false,
      project,
      task,
    };
  }

  /**
   * Puts the workspace back as it was before the run: the run's commit undone, its files
   * restored, the files it created removed, and the user's uncommitted work as it was.
   */
  async undo(run: Run): Promise<void> {
    const { tasks, projects, workspaces, worktrees, gitIdentity, comments, runs } = this.dependencies;
    const task = await tasks.get(run.task_id);
    const project = await projects.get(task.project_id);
    if (run.isolation === 'clone') return this.undoPushed(run, project);
    if (!(await this.dependencies.checkouts.seesWorkspace(project))) throw workspaceNotHere(project, workspaces, 'its runs cannot be undone');
    let repository = new WorkspaceGit(workspaces.pathOf(project.workspace_path), gitIdentity);
    const snapshot = (await repository.run(['rev-parse', '--verify', '-q', snapshotRef(run.id)], { allowFailure: true })).trim();
    if (!snapshot || !run.git_head_before) {
      throw new ConflictError('no_snapshot', `Run ${run.id} has no snapshot of the workspace from before it, so it cannot be undone.`);
    }
    if (run.isolation === 'worktree') {
      const worktree = await worktrees.open(repository, project.id, task.id);
      if (!worktree) {
        throw new ConflictError(
          'worktree_gone',
          `Run ${run.id} worked in task ${task.id}'s worktree, which is gone (the task was merged): revert its changes in the branch they were merged into instead.`,
        );
      }
      const active = await runs.activeForTask(task.id);
      if (active) throw new ConflictError('workspace_busy', `Run ${active.id} is working in task ${task.id}'s worktree now; undo run ${run.id} once it has ended.`);
      repository = worktree;
    } else if (await runs.hasRunningInProject(project.id)) {
      throw new ConflictError('workspace_busy', `A run is working in this project's workspace now; undo run ${run.id} once it has ended.`);
    }
    const head = await repository.head();
    if (head !== run.git_head_before && head !== run.git_head_after) {
      const committed = run.git_head_after && run.git_head_after !== run.git_head_before;
      throw new ConflictError(
        'workspace_moved_on',
        committed
          ? `The workspace has commits made after run ${run.id} (HEAD is ${head.slice(0, 12)}); undoing it would drop them. Revert its commit ${run.git_head_after!.slice(0, 12)} by hand instead.`
          : `The workspace's HEAD moved since run ${run.id} started (from ${run.git_head_before.slice(0, 12)} to ${head.slice(0, 12)}); the run committed nothing, and putting its files back now could undo later work. Look at GET /runs/${run.id}/diff and take its changes back by hand.`,
      );
    }
    // A branch pushed after the run goes back on the remote too, or the next run would bring the
    // commit back; checked before anything changes here.
    const remote = projectRemote(project);
    const pushed = run.isolation === 'worktree' && remote && run.branch && run.git_head_after !== run.git_head_before && (await this.remoteTip(repository, remote, run)) === run.git_head_after;
    // The remote first (its push is the step that can fail), then the files here.
    if (pushed) await this.rewind(repository, remote, run);
    let left: string[];
    try {
      left = await repository.restore(snapshot, run.files_changed, run.git_head_before, await repository.resolveTree(indexRef(run.id)));
    } catch (error) {
      throw new ConflictError('undo_failed', `Run ${run.id} could not be undone: ${error instanceof Error ? error.message : String(error)}. Its snapshot stays under ${snapshotRef(run.id)}.`);
    }
    const leftNote = left.length ? ` Left as they are (folders or repositories it made, or paths behind a link): ${left.join(', ')}.` : '';
    await comments.create(run.task_id, { body: `Run ${run.id} was undone: the workspace is back as it was before it.${leftNote}`, author: runCommentAuthor });
  }

  /**
   * A run that worked in a clone elsewhere: its commit lives on the remote's task branch, which
   * goes back to where it was before the run, unless someone pushed to it since.
   */
  private async undoPushed(run: Run, project: Project): Promise<void> {
    const { clones, comments } = this.dependencies;
    const remote = projectRemote(project);
    if (!remote || !run.branch || !run.git_head_before || !run.git_head_after || run.git_head_after === run.git_head_before) {
      throw new ConflictError('nothing_to_undo', `Run ${run.id} committed nothing to the remote's task branch, so there is nothing to undo.`);
    }
    if (await this.dependencies.runs.activeForTask(run.task_id)) {
      throw new ConflictError('workspace_busy', `A run of task ${run.task_id} is going on; undo run ${run.id} once it has ended.`);
    }
    const clone = await clones.ensure(project.id, remote);
    const tip = await this.remoteTip(clone, remote, run);
    if (tip !== run.git_head_after) {
      throw new ConflictError(
        tip === run.git_head_before ? 'already_undone' : 'remote_moved_on',
        tip === run.git_head_before
          ? `Run ${run.id} is undone already: ${run.branch} on the remote is at ${run.git_head_before.slice(0, 12)}.`
          : `The remote's ${run.branch} is not at run ${run.id}'s commit ${run.git_head_after.slice(0, 12)} any more${tip ? ` (it is at ${tip.slice(0, 12)})` : ' (it is gone)'}: revert the commit by hand instead.`,
      );
    }
    await this.rewind(clone, remote, run);
    await comments.create(run.task_id, {
      body: `Run ${run.id} was undone: ${run.branch} on the remote is back at ${run.git_head_before.slice(0, 12)}.`,
      author: runCommentAuthor,
    });
  }

  /**
   * Where the remote's task branch is. Refused when it moved past the run's commit: someone built
   * on it, and taking the commit back would take their work too.
   */
  private async remoteTip(repository: WorkspaceGit, remote: string, run: Run): Promise<string | undefined> {
    const tip = await repository.fetchBranch(remote, run.branch!, remoteTaskRef(run.task_id));
    if (tip && tip !== run.git_head_after && run.git_head_after && (await repository.isAncestor(run.git_head_after, tip))) {
      throw new ConflictError(
        'remote_moved_on',
        `The remote's ${run.branch} has commits made after run ${run.id} (it is at ${tip.slice(0, 12)}): undoing the run would drop them. Revert its commit ${run.git_head_after.slice(0, 12)} by hand instead.`,
      );
    }
    return tip;
  }

  /**
   * Puts the remote's task branch back from the run's commit to the one before, only if it is
   * still at the run's, and records the undone commit there (refs/wfhub/undone/run-<id>), so a
   * checkout elsewhere that still has it does not push it back.
   */
  private async rewind(repository: WorkspaceGit, remote: string, run: Run): Promise<void> {
    const branch = run.branch!;
    const result = await repository.exec([
      'push',
      '-q',
      `--force-with-lease=refs/heads/${branch}:${run.git_head_after}`,
      '--',
      remote,
      `${run.git_head_before}:refs/heads/${branch}`,
    ]);
    if (result.code !== 0) {
      throw new ConflictError(
        'push_failed',
        `Could not put ${branch} on ${remote} back to ${run.git_head_before!.slice(0, 12)}: ${result.stderr.trim()}. Check access to the remote and undo again.`,
      );
    }
    // The record, where the remote takes refs of wfhub's own (a hosting service may refuse them;
    // without it, a checkout elsewhere that still holds the commit could push it back).
    await repository.exec(['push', '-q', '--', remote, `+${run.git_head_after}:${undoneRef(run.id)}`]);
  }
}
