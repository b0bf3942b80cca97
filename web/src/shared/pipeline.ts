import type { TaskPipeline, TaskView } from '../../../src/director/task-pipeline.schema.js';
import type { Run } from '../../../src/runs/run.schema.js';
import type { Task } from '../../../src/tasks/task.schema.js';
import { defaultCheckTimeoutSeconds, defaultMaxAttempts, defaultPipeline } from '../../../src/director/pipeline-defaults.js';

export type { TaskPipeline };

/** One gate's result, as runs and pipelines carry it. */
export type GateResult = Run['gates'][number];

/** The pipeline a project starts with, and what "Reset to default" puts back. */
export const defaultPipelineBody = { nodes: [...defaultPipeline], max_attempts: defaultMaxAttempts, check_timeout_seconds: defaultCheckTimeoutSeconds };

/**
 * Where the task is in its pipeline, as the API's tasks (TaskView) carry it: null before the
 * director has taken it, undefined for a task object that came without it.
 */
export function pipelineOf(task: Task): TaskPipeline | null | undefined {
  return (task as Task & Partial<Pick<TaskView, 'pipeline'>>).pipeline;
}

/** What a stage is to the task: done with, the one it is at, or still ahead. */
export type StageStep = 'passed' | 'current' | 'ahead';

export function stageStep(pipeline: TaskPipeline, index: number): StageStep {
  if (pipeline.state === 'passed' || index < pipeline.stage) return 'passed';
  return index === pipeline.stage ? 'current' : 'ahead';
}

/** The pipeline's state in a few words: "waiting for #3", "running qa", "blocked". */
export function pipelineStateText(pipeline: TaskPipeline): string {
  switch (pipeline.state) {
    case 'waiting':
      return pipeline.waiting_for.length > 0 ? `waiting for ${pipeline.waiting_for.map((id) => `#${id}`).join(', ')}` : 'waiting';
    case 'running':
      return pipeline.node ? `running ${pipeline.node}` : 'running';
    case 'overridden':
      return pipeline.override ? `overridden by ${pipeline.override.by}` : 'overridden';
    default:
      return pipeline.state;
  }
}

/** Why the pipeline is where it is, for a tooltip: the reason, or the person's word. */
export function pipelineStateDetail(pipeline: TaskPipeline): string | undefined {
  if (pipeline.state === 'overridden' && pipeline.override) return `Marked done by ${pipeline.override.by}: ${pipeline.override.reason}`;
  return pipeline.reason ?? undefined;
}

/** Gates that failed (a skipped one never fails its stage). */
export const failedGates = (gates: readonly GateResult[]) => gates.filter((gate) => !gate.passed && !gate.skipped);

/**
 * The last failure in one line: "qa failed: greeting.js says hello". The checks that failed are
 * named rather than the model's review, which mostly agrees with them.
 */
export function failureLine(failure: NonNullable<TaskPipeline['failure']>): string {
  const failed = failedGates(failure.gates);
  const checks = failed.filter((gate) => gate.gate !== 'review');
  const names = (checks.length > 0 ? checks : failed).map((gate) => gate.name);
  return `${failure.node} failed: ${names.length > 0 ? names.join(', ') : failure.message}`;
}

/** A gate's evidence in a few words: "exit 1 · 120 ms", "HTTP 503 · 2 s", "timed out · 300 s". */
export function gateEvidence(gate: GateResult): string {
  const parts: string[] = [];
  if (gate.timed_out) parts.push('timed out');
  else if (gate.http_status !== null) parts.push(`HTTP ${gate.http_status}`);
  else if (gate.exit_code !== null) parts.push(`exit ${gate.exit_code}`);
  parts.push(gate.duration_ms < 1000 ? `${Math.round(gate.duration_ms)} ms` : `${(gate.duration_ms / 1000).toFixed(1)} s`);
  return parts.join(' · ');
}

/** pass, fail or skipped, as a gate's badge says it. */
export const gateOutcome = (gate: GateResult): 'pass' | 'fail' | 'skipped' => (gate.skipped ? 'skipped' : gate.passed ? 'pass' : 'fail');
