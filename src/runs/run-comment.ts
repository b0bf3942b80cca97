import { taskBranch } from '../workspace/task-worktrees.js';
import type { Run } from './run.schema.js';

/**
 * The comment an ended run leaves on its task: what happened, which files, where they were
 * committed, what it cost. Written in the same transaction that ends the run, so an ended run
 * always has it.
 */
export function runComment(run: Run, retry?: Run, role?: string): string {
  const name = role ? `Run ${run.id} (${role})` : `Run ${run.id}`;
  const head =
    run.status === 'succeeded'
      ? `${name} finished.`
      : run.status === 'cancelled'
        ? `${name} was cancelled.`
        : `${name} ${run.status}: ${run.error?.message ?? 'no reason given'}`;
  const lines = [head];
  if (retry) lines.push('', `It had changed nothing, so it is being tried again as run ${retry.id}.`);
  if (run.summary) lines.push('', run.summary);
  const gates = run.gates;
  if (gates.length) {
    const failed = gates.filter((gate) => !gate.passed && !gate.skipped);
    const skipped = gates.filter((gate) => gate.skipped);
    const outcome = (gate: (typeof gates)[number]) =>
      gate.timed_out ? 'timed out' : gate.http_status !== null ? `HTTP ${gate.http_status}` : gate.exit_code !== null ? `exit ${gate.exit_code}` : 'failed';
    const judged = gates.length - skipped.length;
    lines.push(
      '',
      `Gates: ${judged - failed.length} of ${judged} passed (${gates.filter((gate) => !gate.skipped).map((gate) => gate.name).join('; ')})${failed.length ? `; failed: ${failed.map((gate) => `${gate.name} (${outcome(gate)})`).join('; ')}` : ''}${skipped.length ? `; skipped: ${skipped.map((gate) => gate.name).join('; ')}` : ''}.`,
    );
  }
  if (run.verdict) lines.push(`Verdict: ${run.verdict}.`);
  if (run.files_changed.length) lines.push('', `Files changed: ${run.files_changed.join(', ')}`);
  const worktree = run.isolation === 'worktree';
  const branch = run.branch ?? taskBranch(run.task_id);
  if (run.git_head_after && run.git_head_before && run.git_head_after !== run.git_head_before) {
    lines.push(
      `Committed as ${run.git_head_after.slice(0, 12)} (on top of ${run.git_head_before.slice(0, 12)})${worktree ? ` on branch ${branch}` : ''}; POST /runs/${run.id}/undo takes it back.`,
    );
    if (worktree) lines.push(`POST /tasks/${run.task_id}/merge merges the branch once it is reviewed.`);
  } else if (run.files_changed.length && run.git_head_before) {
    const where = worktree ? `task ${run.task_id}'s worktree, on branch ${branch}` : 'the workspace';
    lines.push(`Not committed: the changes are in ${where} (GET /runs/${run.id}/diff shows them; POST /runs/${run.id}/undo puts these files back as they were before the run).`);
  }
  const steps = `${run.steps} step${run.steps === 1 ? '' : 's'}`;
  lines.push('', `${run.model ?? 'model unknown'} · ${steps} · ${run.prompt_tokens} prompt + ${run.completion_tokens} completion tokens`);
  return lines.join('\n');
}
