import type { PromptSection } from '../agent/prompt/prompt-sections.js';
import type { Project } from '../projects/project.schema.js';
import type { Task } from '../tasks/task.schema.js';
import type { WorkspaceGit } from '../workspace/git.js';
import type { Run } from './run.schema.js';

import type { GateResult } from './gate-result.schema.js';

/** A reviewing role's judgement of the work. */
export type Verdict = 'pass' | 'fail';

export interface GateContext {
  run: Run;
  task: Task;
  project: Project;
  /** Where the run works (the workspace or the task's worktree), real and absolute. */
  dir: string;
  /** The repository there, with the snapshots of the task's earlier runs. */
  repository: WorkspaceGit;
  /** Folders outside `dir` its commands see (a worktree's git folders). */
  mounts: readonly { path: string; writable: boolean }[];
  signal: AbortSignal;
}

/**
 * What a run's role checks itself, around the agent: the qa role's acceptance checks and the
 * security role's scans before the model is asked anything (their results go in its prompt), and
 * the verdict once it has answered. The runs know nothing of roles; the director supplies this.
 */
export interface RunGates {
  /** Runs the role's checks, telling each result as it comes; answers what the agent is told of them. */
  before(context: GateContext, record: (gate: GateResult) => Promise<void>): Promise<{ sections: PromptSection[] }>;
  /** The role's verdict on the run, from its gates, the agent's summary and what it changed, with the gates judged only now. */
  after(context: GateContext, run: { summary: string | undefined; filesChanged: readonly string[]; gates: readonly GateResult[] }): Promise<{ verdict: Verdict | null; gates: GateResult[] }>;
}
