import type { Services } from '../app/services.js';
import type { Change } from '../db/change-feed.js';

/** One message of `/ws/events`: what changed, with the thing as it is now. */
export type LiveMessage =
  | { type: 'project.created' | 'project.updated'; project: unknown }
  | { type: 'project.deleted'; id: number }
  | { type: 'task.created' | 'task.updated'; task: unknown }
  | { type: 'task.deleted'; id: number; project_id: number }
  | { type: 'comment.created' | 'comment.updated'; comment: unknown }
  | { type: 'comment.deleted'; id: number; task_id: number }
  | { type: 'run.created' | 'run.updated'; run: unknown }
  /** Some changes may have been missed: read the state again. */
  | { type: 'resync' };

export interface LiveSubscriber {
  /** Only changes of this project (all when undefined). */
  projectId?: number;
  send(message: LiveMessage): void;
}

/**
 * The board's feed: every project, task, comment and run change, read once and sent to every
 * subscriber it concerns, in the order the changes were heard. A thing deleted before it could
 * be read is skipped; its `deleted` message follows.
 */
export class LiveChanges {
  private readonly subscribers = new Set<LiveSubscriber>();
  private unsubscribe: (() => void) | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly services: Services) {}

  add(subscriber: LiveSubscriber): () => void {
    this.subscribers.add(subscriber);
    this.unsubscribe ??= this.services.feed.subscribe((change) => {
      if (change.kind === 'run_event') return;
      this.queue = this.queue.then(() => this.deliver(change)).catch(() => undefined);
    });
    return () => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) {
        this.unsubscribe?.();
        this.unsubscribe = undefined;
      }
    };
  }

  private async deliver(change: Exclude<Change, { kind: 'run_event' }>): Promise<void> {
    if (change.kind === 'resync') {
      for (const subscriber of this.subscribers) subscriber.send({ type: 'resync' });
      return;
    }
    const resolved = await this.resolve(change).catch(() => undefined);
    if (!resolved) return;
    for (const subscriber of this.subscribers) {
      if (subscriber.projectId === undefined || subscriber.projectId === resolved.projectId) subscriber.send(resolved.message);
    }
  }

  private async resolve(change: Exclude<Change, { kind: 'run_event' | 'resync' }>): Promise<{ message: LiveMessage; projectId: number } | undefined> {
    const { projects, tasks, comments, runs } = this.services;
    switch (change.kind) {
      case 'project':
        return change.op === 'deleted'
          ? { message: { type: 'project.deleted', id: change.id }, projectId: change.id }
          : { message: { type: `project.${change.op}`, project: await projects.get(change.id) }, projectId: change.id };
      case 'task':
        return change.op === 'deleted'
          ? { message: { type: 'task.deleted', id: change.id, project_id: change.project_id }, projectId: change.project_id }
          : { message: { type: `task.${change.op}`, task: await this.services.taskPipelines.view(await tasks.get(change.id)) }, projectId: change.project_id };
      case 'comment': {
        // A deleted task's comments go with it: its own `task.deleted` says so.
        const projectId = (await tasks.get(change.task_id)).project_id;
        return change.op === 'deleted'
          ? { message: { type: 'comment.deleted', id: change.id, task_id: change.task_id }, projectId }
          : { message: { type: `comment.${change.op}`, comment: await comments.get(change.id) }, projectId };
      }
      case 'run': {
        const run = await runs.get(change.id);
        return { message: { type: `run.${change.op}`, run }, projectId: (await tasks.get(run.task_id)).project_id };
      }
    }
  }
}
