import { useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useRef } from 'react';
import type { Task } from '../../../../src/tasks/task.schema.js';
import { navigate } from '../../app/route.js';
import { api } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';
import { useEscape } from '../../shared/use-escape.js';
import { TrackerSection } from '../integrations/TrackerSection.js';
import { RunView } from '../runs/RunView.js';
import { AttachmentsSection } from './AttachmentsSection.js';
import { BlockedBySection } from './BlockedBySection.js';
import { CommentsSection } from './CommentsSection.js';
import { CriteriaSection } from './CriteriaSection.js';
import { PipelineSection } from './PipelineSection.js';
import { RunsSection } from './RunsSection.js';
import { SubtasksSection } from './SubtasksSection.js';
import { TaskFields } from './TaskFields.js';

/**
 * Everything about one task, in a panel beside the board: its fields, its way through the
 * pipeline (autopilot, stages, gates, override) and what it waits for, the tracker it came from,
 * its criteria, subtasks, comments, files and runs, with the Run button; one of its runs, live,
 * when one is picked.
 */
export function TaskEditor({ projectId, taskId, runId, tasks }: { projectId: number; taskId: number; runId?: number; tasks: Task[] }) {
  const task = useQuery({ queryKey: queryKeys.task(taskId), queryFn: () => api<Task>('GET', `/tasks/${taskId}`) });
  const close = useCallback(() => navigate({ projectId }), [projectId]);
  useEscape(runId === undefined ? close : () => navigate({ projectId, taskId }));
  const panel = useRef<HTMLElement>(null);
  // Focus moves into the panel when it opens, and back to where it was when it closes: to the
  // task's card when the panel was opened from the address rather than from the board.
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    panel.current?.focus();
    return () => {
      if (before && before !== document.body && before.isConnected) before.focus();
      else document.querySelector<HTMLElement>(`[data-task-id="${taskId}"] .title`)?.focus();
    };
  }, [taskId]);

  const title = task.data?.title ?? `Task #${taskId}`;
  return (
    <aside ref={panel} className="editor" role="dialog" aria-label={`Task: ${title}`} tabIndex={-1}>
      <div className="editor-head">
        <span className="muted">
          #{taskId}
          {task.data?.parent_id != null && (
            <>
              {' · subtask of '}
              <a href={`#/projects/${projectId}/tasks/${task.data.parent_id}`}>#{task.data.parent_id}</a>
            </>
          )}
        </span>
        <button type="button" className="icon close" aria-label="Close the task" onClick={close}>
          ×
        </button>
      </div>
      {task.isError && <p role="alert">{(task.error as Error).message}</p>}
      {task.data && (
        <>
          <TaskFields key={task.data.id} task={task.data} />
          <PipelineSection task={task.data} />
          <BlockedBySection task={task.data} tasks={tasks} />
          <TrackerSection taskId={taskId} />
          <RunsSection task={task.data} runId={runId} />
          {runId !== undefined && <RunView key={runId} runId={runId} projectId={projectId} />}
          <CriteriaSection taskId={taskId} />
          <SubtasksSection task={task.data} subtasks={tasks.filter((other) => other.parent_id === taskId)} />
          <CommentsSection taskId={taskId} />
          <AttachmentsSection taskId={taskId} />
        </>
      )}
    </aside>
  );
}
