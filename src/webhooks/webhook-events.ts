import type { Change } from '../db/change-feed.js';
import { finishedRunStatuses } from '../runs/run.schema.js';

/**
 * What produces deliveries. Two database triggers, made by migration 0014_webhooks, write a
 * `webhook_deliveries` row for every active webhook of the project that asked for the event, in
 * the very transaction that makes the change, whichever code makes it (a run ending, the
 * director, a tracker import, a PATCH):
 *
 * - `webhook_run_finished` on `task_runs`: a run's status going from queued or running to
 *   succeeded, failed, cancelled or interrupted (a run ends once: run.service) gives one
 *   `run.finished`, with `{run, task}`;
 * - `webhook_task_status` on `tasks`: a task's status changing gives one `task.status_changed`,
 *   with `{task, old_status, new_status}` read from the row before and after the update.
 *
 * So an event is recorded exactly once, only if its change commits, and a crash at any moment
 * loses nothing that was committed; there is no in-memory state to lose across a restart. The
 * change feed only wakes the sender: after these changes, deliveries may be due.
 */
export const deliveryTriggers = { runFinished: 'webhook_run_finished', taskStatus: 'webhook_task_status' } as const;

/** The run statuses the run.finished trigger fires on: those a run never leaves. */
export const runFinishedStatuses = finishedRunStatuses;

/** A change after which new deliveries may be waiting (or, for resync, may have been missed). */
export function mayHaveRecordedDeliveries(change: Change): boolean {
  if (change.kind === 'task') return change.op === 'updated';
  if (change.kind === 'run') return change.op === 'updated' && (runFinishedStatuses as readonly string[]).includes(change.status);
  return change.kind === 'resync';
}

/** `data` of a run.finished delivery (written by the trigger). */
export interface RunFinishedData {
  run: {
    id: number;
    task_id: number;
    status: 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
    node: string | null;
    model: string | null;
    provider: string | null;
    attempt: number;
    retry_of: number | null;
    steps: number;
    prompt_tokens: number;
    completion_tokens: number;
    error: { code: string; message: string } | null;
    /** Cut at 10,000 characters. */
    summary: string | null;
    /** The first 200. */
    files_changed: string[];
    files_changed_count: number;
    verdict: 'pass' | 'fail' | null;
    branch: string | null;
    started_at: string | null;
    finished_at: string | null;
    created_at: string;
  };
  task: { id: number; project_id: number; title: string };
}

/** `data` of a task.status_changed delivery (written by the trigger). */
export interface TaskStatusChangedData {
  task: {
    id: number;
    project_id: number;
    parent_id: number | null;
    title: string;
    status: string;
    priority: string;
    node: string | null;
    autopilot: boolean;
    updated_at: string;
  };
  old_status: string;
  new_status: string;
}
