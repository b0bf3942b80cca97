import type { Pipeline } from '../director/pipeline.schema.js';
import type { TaskPipeline } from '../director/task-pipeline.schema.js';

/** A project's pipeline in one line: `dev → qa → documentation (3 attempts, checks 300 s) default`. */
export function describePipeline(pipeline: Pipeline): string {
  const attempts = `${pipeline.max_attempts} attempt${pipeline.max_attempts === 1 ? '' : 's'}`;
  return `${pipeline.nodes.join(' → ')} (${attempts}, checks up to ${pipeline.check_timeout_seconds} s)${pipeline.is_default ? ', the default' : ''}`;
}

/** Where a task is in its pipeline, the stage it is at in brackets, with the last failure. */
export function describeTaskPipeline(pipeline: TaskPipeline): string {
  const stages = pipeline.nodes.map((node, index) => (index === pipeline.stage ? `[${node}]` : index < pipeline.stage ? `${node} ✓` : node)).join(' → ');
  const lines = [`${pipeline.state}: ${stages}`, `attempt ${pipeline.attempt} of ${pipeline.max_attempts}${pipeline.run_id ? `, run ${pipeline.run_id}` : ''}`];
  if (pipeline.waiting_for.length) lines.push(`waiting for ${pipeline.waiting_for.map((id) => `#${id}`).join(', ')}`);
  if (pipeline.reason) lines.push(pipeline.reason);
  else if (pipeline.failure) lines.push(pipeline.failure.message);
  if (pipeline.override) lines.push(`overridden by ${pipeline.override.by}: ${pipeline.override.reason}`);
  return lines.join('\n');
}
