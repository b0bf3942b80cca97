import { memo, type DragEvent, type KeyboardEvent } from 'react';
import type { Task } from '../../../../src/tasks/task.schema.js';
import type { TaskStatus } from '../../../../src/tasks/task-fields.js';
import { PipelineStrip } from './PipelineStrip.js';
import { StatusMenu } from './StatusMenu.js';

/** What a card tells the board; the board passes the same functions on every render. */
export interface CardActions {
  open(id: number): void;
  keyDown(task: Task, event: KeyboardEvent): void;
  pick(task: Task, status: TaskStatus, how: 'picked' | 'left'): void;
  dragStart(task: Task, event: DragEvent): void;
  dragEnd(): void;
  drop(status: TaskStatus, beforeId: number | undefined, event: DragEvent): void;
}

/**
 * One task on the board. Drawn again only when its task (or whether it is the open one) changes,
 * so a change to one task redraws one card, not the board.
 */
export const TaskCard = memo(function TaskCard({ task, current, actions }: { task: Task; current: boolean; actions: CardActions }) {
  return (
    <li
      className="card"
      draggable
      data-task-id={task.id}
      onDragStart={(event) => actions.dragStart(task, event)}
      onDragEnd={() => actions.dragEnd()}
      onDragOver={(event) => event.preventDefault()}
      onDrop={(event) => actions.drop(task.status, task.id, event)}
    >
      <button
        type="button"
        className="title"
        onClick={() => actions.open(task.id)}
        onKeyDown={(event) => actions.keyDown(task, event)}
        aria-current={current ? 'true' : undefined}
        aria-keyshortcuts="Alt+ArrowUp Alt+ArrowDown Alt+ArrowLeft Alt+ArrowRight"
        title="Open · Alt+arrows move the card"
      >
        {task.parent_id !== null && <span className="parent">#{task.parent_id} › </span>}
        {task.title}
      </button>
      <StatusMenu title={task.title} status={task.status} onPick={(next, how) => actions.pick(task, next, how)} />
      {task.node_name && <span className="node">{task.node_name}</span>}
      <PipelineStrip task={task} />
    </li>
  );
});
