import { useQuery } from '@tanstack/react-query';
import type { Pipeline } from '../../../../src/director/pipeline.schema.js';
import type { Run } from '../../../../src/runs/run.schema.js';
import type { Task } from '../../../../src/tasks/task.schema.js';
import { api } from '../../shared/api.js';
import { failedGates, pipelineOf, pipelineStateDetail, pipelineStateText, stageStep, type TaskPipeline } from '../../shared/pipeline.js';
import { queryKeys } from '../../shared/query-keys.js';
import { useNodes } from '../../shared/use-nodes.js';
import { GateLine } from '../runs/GateLine.js';
import { AutopilotSwitch } from './AutopilotSwitch.js';
import { OverrideAction } from './OverrideAction.js';
import { useTaskRuns } from './use-task-runs.js';

const stepLabel = { passed: 'passed', current: 'current', ahead: 'to come' } as const;

/**
 * The task's way through its project's pipeline: the Autopilot switch, the stages with their
 * runs, the attempt, the state and why, the last failure with each failed gate's evidence, and
 * the override for a person who decides the task is done all the same.
 */
export function PipelineSection({ task }: { task: Task }) {
  const inline = pipelineOf(task);
  // A server whose tasks do not carry their pipeline is asked for it.
  const asked = useQuery({
    queryKey: queryKeys.taskPipeline(task.id),
    queryFn: () => api<TaskPipeline | null>('GET', `/tasks/${task.id}/pipeline`),
    enabled: inline === undefined,
  });
  const pipeline = inline === undefined ? asked.data : inline;
  const project = useQuery({
    queryKey: queryKeys.pipeline(task.project_id),
    queryFn: () => api<Pipeline>('GET', `/projects/${task.project_id}/pipeline`),
    enabled: !pipeline,
    staleTime: 30_000,
  });
  const runs = useTaskRuns(task.id);
  const nodes = useNodes();
  const roleOf = (run: Run) => nodes.data?.find((node) => node.id === run.node_id)?.name;
  const runLink = (id: number) => `#/projects/${task.project_id}/tasks/${task.id}/runs/${id}`;
  const lastRunOf = (role: string) => runs.data?.find((run) => roleOf(run) === role);
  const stages = pipeline?.nodes ?? project.data?.nodes ?? [];
  const detail = pipeline && withoutFailure(pipelineStateDetail(pipeline), pipeline.failure);

  return (
    <section className="editor-section" aria-label="Pipeline">
      <h3>Pipeline</h3>
      <AutopilotSwitch task={task} />
      {!pipeline && stages.length > 0 && (
        <p className="muted">
          {task.autopilot ? 'Starting: ' : 'On autopilot the director takes the task through '}
          {stages.join(' → ')}
          {project.data && `, up to ${project.data.max_attempts} ${project.data.max_attempts === 1 ? 'attempt' : 'attempts'}.`}
        </p>
      )}
      {pipeline && (
        <>
          <ol className="pipeline-stages" aria-label="Stages">
            {pipeline.nodes.map((node, index) => {
              const step = stageStep(pipeline, index);
              const run = lastRunOf(node);
              const blocked = step === 'current' && pipeline.state === 'blocked';
              return (
                <li key={node} className={`stage stage-${step}${blocked ? ' stage-blocked' : ''}`} aria-current={step === 'current' ? 'step' : undefined} aria-label={`${node}: ${blocked ? 'blocked' : stepLabel[step]}`}>
                  <span className="stage-mark" aria-hidden="true">
                    {step === 'passed' ? '✓' : blocked ? '✕' : step === 'current' ? '●' : '○'}
                  </span>
                  {node}
                  {run && (
                    <a href={runLink(run.id)} aria-label={`Run #${run.id} (${node})`}>
                      #{run.id}
                    </a>
                  )}
                </li>
              );
            })}
          </ol>
          <p className="pipeline-summary">
            <span className={`badge pipeline-${pipeline.state}`} role="status" aria-label="Pipeline state">
              {pipelineStateText(pipeline)}
            </span>{' '}
            <span className="pipeline-attempt">
              attempt {pipeline.attempt} of {pipeline.max_attempts}
            </span>
            {pipeline.run_id !== null && pipeline.state === 'running' && (
              <>
                {' · '}
                <a href={runLink(pipeline.run_id)}>run #{pipeline.run_id}</a>
              </>
            )}
          </p>
          {detail && <p className={pipeline.state === 'blocked' ? 'pipeline-reason pipeline-reason-blocked' : 'pipeline-reason'}>{detail}</p>}
          {pipeline.failure && pipeline.state !== 'passed' && <FailureEvidence failure={pipeline.failure} runHref={runLink(pipeline.failure.run_id)} />}
        </>
      )}
      {task.status !== 'done' && (pipeline || task.autopilot) && <OverrideAction task={task} />}
    </section>
  );
}

/** The reason without the failure's message it may start with (the failure is shown below it). */
function withoutFailure(reason: string | undefined, failure: TaskPipeline['failure']): string | undefined {
  if (!reason || !failure || !reason.startsWith(failure.message)) return reason;
  return reason.slice(failure.message.length).trim() || undefined;
}

function FailureEvidence({ failure, runHref }: { failure: NonNullable<TaskPipeline['failure']>; runHref: string }) {
  const failed = failedGates(failure.gates);
  return (
    <div className="pipeline-failure-detail" role="region" aria-label="Last failure">
      <h4>
        Last failure: {failure.node} <a href={runHref}>run #{failure.run_id}</a>
      </h4>
      {/* The message tells of the gates listed below; without them, it is all there is. */}
      {failure.gates.length === 0 && <p className="pipeline-failure-message">{failure.message}</p>}
      {failure.gates.length > 0 && (
        <ul className="gates" aria-label="Gates of the failed run">
          {failure.gates.map((gate, index) => (
            <GateLine key={index} gate={gate} open={failed.includes(gate)} />
          ))}
        </ul>
      )}
    </div>
  );
}
