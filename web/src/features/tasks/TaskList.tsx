import type { Task } from '../../../../src/tasks/task.schema.js';
import { PipelineStrip } from './PipelineStrip.js';
import { nest } from './task-order.js';

/** The tasks as a list, subtasks nested under their parent. */
export function TaskList({ tasks }: { tasks: Task[] }) {
  return (
    <ul className="task-list" aria-label="Task list">
      {nest(tasks).map(({ task, subtasks }) => (
        <li key={task.id}>
          <TaskLine task={task} />
          {subtasks.length > 0 && (
            <ul className="subtasks" aria-label={`Subtasks of ${task.title}`}>
              {subtasks.map((subtask) => (
                <li key={subtask.id}>
                  <TaskLine task={subtask} />
                </li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ul>
  );
}

function TaskLine({ task }: { task: Task }) {
  return (
    <div className="task">
      <span className={`badge badge-${task.status}`}>{task.status.replace('_', ' ')}</span>
      <a className="title" href={`#/projects/${task.project_id}/tasks/${task.id}`}>
        {task.title}
      </a>
      {task.node_name && <span className="node">{task.node_name}</span>}
      <PipelineStrip task={task} />
    </div>
  );
}
