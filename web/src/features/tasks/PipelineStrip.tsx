import type { Task } from '../../../../src/tasks/task.schema.js';
import { failedGates, failureLine, pipelineOf, pipelineStateDetail, pipelineStateText, stageStep } from '../../shared/pipeline.js';

const stepLabel = { passed: 'passed', current: 'current', ahead: 'to come' } as const;

/**
 * A card's line about the director: the autopilot mark, the stages (passed ones ticked, the
 * current one lit), the state (why, on hover), and the gate that failed last. Nothing for a task
 * neither on autopilot nor ever taken through a pipeline.
 */
export function PipelineStrip({ task }: { task: Task }) {
  const pipeline = pipelineOf(task);
  if (!task.autopilot && !pipeline) return null;
  const failure = pipeline?.failure && pipeline.state !== 'passed' ? pipeline.failure : null;
  const detail = pipeline ? pipelineStateDetail(pipeline) : undefined;
  return (
    <div className="pipeline-strip" role="group" aria-label={`Pipeline of ${task.title}`}>
      <div className="pipeline-line">
        {task.autopilot && (
          <span className="autopilot-mark" role="img" aria-label="On autopilot" title="On autopilot: the director takes it through the pipeline">
            ⟳
          </span>
        )}
        {pipeline ? (
          <>
            <ol className="strip-stages" aria-label="Stages">
              {pipeline.nodes.map((node, index) => {
                const step = stageStep(pipeline, index);
                const blocked = step === 'current' && pipeline.state === 'blocked';
                return (
                  <li key={node} className={`strip-stage stage-${step}${blocked ? ' stage-blocked' : ''}`} aria-current={step === 'current' ? 'step' : undefined} aria-label={`${node}: ${blocked ? 'blocked' : stepLabel[step]}`}>
                    {step === 'passed' && <span aria-hidden="true">✓</span>}
                    {node}
                  </li>
                );
              })}
            </ol>
            <span className={`pipeline-state pipeline-${pipeline.state}`} title={detail}>
              {pipelineStateText(pipeline)}
              {pipeline.attempt > 1 && pipeline.state !== 'passed' && ` · ${pipeline.attempt}/${pipeline.max_attempts}`}
            </span>
          </>
        ) : (
          <span className="pipeline-state muted">autopilot</span>
        )}
      </div>
      {failure && (
        <p className="strip-failure" title={failedGates(failure.gates).map((gate) => `${gate.name}${gate.check ? `: ${gate.check}` : ''}`).join('\n') || failure.message}>
          {failureLine(failure)}
        </p>
      )}
    </div>
  );
}
