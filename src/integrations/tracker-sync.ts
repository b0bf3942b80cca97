import { and, asc, eq, isNotNull, isNull, lte, ne, or, sql } from 'drizzle-orm';
import { commentTable } from '../comments/comment.sql.js';
import { NotFoundError } from '../core/errors.js';
import type { ChangeFeed } from '../db/change-feed.js';
import type { Database } from '../db/database.js';
import { taskTable } from '../tasks/task.sql.js';
import type { CredentialService } from './credential.service.js';
import type { TaskLink } from './integration.schema.js';
import { trackerCommentLinkTable, trackerCredentialTable, trackerLinkTable, trackerMappingTable, type TrackerLinkRow } from './integration.sql.js';
import { TrackerError } from './tracker-error.js';
import { pushedBody, trackerCommentLimit } from './tracker-comment.js';

export interface TrackerSyncOptions {
  /** How often every linked task is checked, for changes heard by no one (made while stopped). */
  sweepMs?: number;
  /** How long one process holds a task while pushing it: longer than a push takes (a rate limit is waited out up to a minute). */
  leaseMs?: number;
  /** The first retry's wait; each failure doubles it, up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  onError?: (error: unknown) => void;
  /** A push that failed (it is retried; the task shows it). */
  onFailure?: (link: { task_id: number; provider: string }, message: string) => void;
}

/** Rounds of pushing one task: changes made while a push was on the way go in the next. */
const maxRounds = 5;
/** Tasks one sweep pushes, so a long outage's backlog does not hold the sweep for ever. */
const sweepBatch = 50;

/**
 * Pushes what changed in wfhub to the tracker a task came from: its status (each tracker's way:
 * Asana's completed flag and section, a Jira transition, a Linear state, a GitHub issue closed
 * with its reason) and the comments written here (a run's summary among them). It compares
 * states rather than replaying events: a task whose status is not the one the tracker has, or
 * with a comment the tracker lacks, is pushed, so nothing is lost to a restart and a change
 * undone before its push costs nothing. The local change is never held up: a failed push is
 * kept on the link with its message and tried again later, no sooner than the tracker's
 * Retry-After, and a lease keeps two processes from pushing the same task.
 */
export class TrackerSync {
  private readonly sweepMs: number;
  private readonly leaseMs: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private unsubscribe: (() => void) | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly waiting = new Map<number, NodeJS.Timeout>();
  private readonly pushing = new Map<number, Promise<void>>();
  private stopped = true;

  constructor(
    private readonly db: Database,
    private readonly feed: ChangeFeed,
    private readonly credentials: CredentialService,
    private readonly options: TrackerSyncOptions = {},
  ) {
    this.sweepMs = options.sweepMs ?? 30_000;
    this.leaseMs = options.leaseMs ?? 300_000;
    this.backoffMs = options.backoffMs ?? 5_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 3_600_000;
  }

  /** Listens for task and comment changes and sweeps now and then; the first sweep is now. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.feed.subscribe((change) => {
      if (change.kind === 'task' && change.op === 'updated') this.soon(change.id);
      else if (change.kind === 'comment' && change.op === 'created') this.soon(change.task_id);
      else if (change.kind === 'resync') this.sweepInBackground();
    });
    const tick = () => {
      this.sweepInBackground();
      this.sweeper = setTimeout(tick, this.sweepMs).unref();
    };
    tick();
  }

  /** Stops listening and waits for the pushes under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearTimeout(this.sweeper);
    for (const timer of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
    await Promise.allSettled([...this.pushing.values()]);
  }

  /** The task's tracker link and how its sync stands; null when the task was not imported. */
  async linkOf(taskId: number): Promise<TaskLink | null> {
    const [row] = await this.db
      .select({ link: trackerLinkTable, provider: trackerCredentialTable.provider, external_project_id: trackerMappingTable.external_project_id, status: taskTable.status })
      .from(trackerLinkTable)
      .innerJoin(trackerMappingTable, eq(trackerMappingTable.id, trackerLinkTable.mapping_id))
      .innerJoin(trackerCredentialTable, eq(trackerCredentialTable.id, trackerMappingTable.credential_id))
      .innerJoin(taskTable, eq(taskTable.id, trackerLinkTable.task_id))
      .where(eq(trackerLinkTable.task_id, taskId));
    if (!row) {
      const [task] = await this.db.select({ id: taskTable.id }).from(taskTable).where(eq(taskTable.id, taskId));
      if (!task) throw new NotFoundError('task', taskId);
      return null;
    }
    const { link } = row;
    const pending = row.status !== link.remote_status || (await this.unpushedComments(link)).length > 0;
    return {
      task_id: link.task_id,
      mapping_id: link.mapping_id,
      provider: row.provider,
      external_project_id: row.external_project_id,
      external_id: link.external_id,
      url: link.url,
      attachments: link.attachments,
      remote_status: link.remote_status,
      imported_at: link.imported_at,
      synced_at: link.synced_at,
      sync: {
        state: link.sync_error !== null ? 'failed' : pending ? 'pending' : 'synced',
        error: link.sync_error,
        attempts: link.sync_attempts,
        next_attempt_at: link.sync_error !== null ? link.sync_after : null,
      },
    };
  }

  /** The task's tracker link; a task that was not imported is not found. */
  async link(taskId: number): Promise<TaskLink> {
    const link = await this.linkOf(taskId);
    if (!link) throw new NotFoundError('tracker link', taskId, `Task ${taskId} was not imported from a tracker: POST /integrations/import links tasks.`);
    return link;
  }

  /** Pushes the task now, whatever wait a failure set; answers how the sync stands after it. */
  async syncNow(taskId: number): Promise<TaskLink> {
    await this.link(taskId);
    await this.push(taskId, 'now');
    return this.link(taskId);
  }

  /** Pushes every linked task that differs from its tracker and is due. */
  async sweep(): Promise<void> {
    const now = new Date();
    const due = await this.db
      .select({ task_id: trackerLinkTable.task_id })
      .from(trackerLinkTable)
      .innerJoin(taskTable, eq(taskTable.id, trackerLinkTable.task_id))
      .where(
        and(
          // Due: no wait set and no failure refused for good, or the wait is over.
          or(and(isNull(trackerLinkTable.sync_after), isNull(trackerLinkTable.sync_error)), lte(trackerLinkTable.sync_after, now)),
          or(isNull(trackerLinkTable.sync_lease_until), lte(trackerLinkTable.sync_lease_until, now)),
          or(
            // A failure stands until a push succeeds, or finds nothing left to push.
            isNotNull(trackerLinkTable.sync_error),
            ne(taskTable.status, trackerLinkTable.remote_status),
            sql`exists (select 1 from ${commentTable} where ${commentTable.task_id} = ${trackerLinkTable.task_id} and ${commentTable.created_at} >= ${trackerLinkTable.created_at} and not exists (select 1 from ${trackerCommentLinkTable} where ${trackerCommentLinkTable.comment_id} = ${commentTable.id}))`,
          ),
        ),
      )
      .orderBy(asc(trackerLinkTable.id))
      .limit(sweepBatch);
    for (const { task_id } of due) {
      if (this.stopped) return;
      await this.push(task_id, 'sweep');
    }
  }

  private sweepInBackground(): void {
    this.sweep().catch((error: unknown) => this.options.onError?.(error));
  }

  /** A change heard: pushed a moment later, so a burst of edits makes one push. */
  private soon(taskId: number): void {
    if (this.stopped) return;
    clearTimeout(this.waiting.get(taskId));
    this.waiting.set(
      taskId,
      setTimeout(() => {
        this.waiting.delete(taskId);
        this.push(taskId, 'changed').catch((error: unknown) => this.options.onError?.(error));
      }, 100),
    );
  }

  /** One push of a task at a time in this process; the lease keeps other processes off it. */
  private push(taskId: number, mode: PushMode): Promise<void> {
    const previous = this.pushing.get(taskId) ?? Promise.resolve();
    const next = previous.then(() => this.pushOnce(taskId, mode));
    const settled = next.catch(() => {});
    this.pushing.set(taskId, settled);
    void settled.then(() => {
      if (this.pushing.get(taskId) === settled) this.pushing.delete(taskId);
    });
    return next;
  }

  private async pushOnce(taskId: number, mode: PushMode): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      const lease = await this.claim(taskId, round === 0 ? mode : 'changed');
      if (!lease) return;
      const { link } = lease;
      const [task] = await this.db.select({ status: taskTable.status, updated_at: taskTable.updated_at }).from(taskTable).where(eq(taskTable.id, taskId));
      const comments = await this.unpushedComments(link);
      // A push the tracker refused for good is not tried again until the task changes (or Retry now).
      const stopped = link.sync_error !== null && link.sync_after === null;
      if (stopped && mode !== 'now' && task && task.updated_at <= link.updated_at && !comments.some((comment) => comment.created_at > link.updated_at)) return this.release(lease, {});
      if (!task || (task.status === link.remote_status && comments.length === 0)) {
        if (link.sync_error === null) return this.release(lease, {});
        // Nothing left to push (the change was undone, or another process pushed it): no failure stands.
        await this.release(lease, { sync_error: null, sync_attempts: 0, sync_after: null });
        this.feed.publish({ kind: 'task', op: 'updated', id: taskId, project_id: await this.projectOf(taskId) });
        return;
      }
      const [mapping] = await this.db
        .select({ credential_id: trackerMappingTable.credential_id, external_project_id: trackerMappingTable.external_project_id, provider: trackerCredentialTable.provider })
        .from(trackerMappingTable)
        .innerJoin(trackerCredentialTable, eq(trackerCredentialTable.id, trackerMappingTable.credential_id))
        .where(eq(trackerMappingTable.id, link.mapping_id));
      if (!mapping) return;
      // The status and each comment go on their own: one the tracker refuses does not hold up the others.
      const failures: unknown[] = [];
      await this.credentials
        .use(mapping.credential_id, async (tracker) => {
          if (task.status !== link.remote_status) {
            try {
              const { status: readBack } = await tracker.updateStatus(mapping.external_project_id, link.external_id, task.status);
              // What the tracker has now, and what an import will read back from it: the next
              // import does not take wfhub's own push for the tracker's change.
              await this.db
                .update(trackerLinkTable)
                .set({ remote_status: task.status, imported: { ...link.imported, status: readBack } })
                .where(and(eq(trackerLinkTable.id, link.id), eq(trackerLinkTable.sync_lease_until, lease.until)));
            } catch (error) {
              failures.push(error);
            }
          }
          for (const comment of comments) {
            if (!(await this.renew(lease))) return;
            try {
              const { external_id } = await tracker.addComment(mapping.external_project_id, link.external_id, pushedBody(comment, trackerCommentLimit));
              // Recorded at once: a push cut short after this comment does not post it twice.
              await this.db.insert(trackerCommentLinkTable).values({ link_id: link.id, external_id, comment_id: comment.id, pushed: true }).onConflictDoNothing();
            } catch (error) {
              failures.push(error);
              // A tracker that is down or limiting refuses the next ones too.
              if (!(error instanceof TrackerError) || !permanent(error)) return;
            }
          }
        })
        .catch((error: unknown) => failures.push(error));
      if (failures.length === 0) {
        await this.release(lease, { sync_error: null, sync_attempts: 0, sync_after: null, synced_at: new Date() });
        this.feed.publish({ kind: 'task', op: 'updated', id: taskId, project_id: await this.projectOf(taskId) });
        continue;
      }
      const error = failures.find((item) => !(item instanceof TrackerError) || !permanent(item)) ?? failures[0];
      const message = error instanceof Error ? error.message : String(error);
      const attempts = link.sync_attempts + 1;
      const wait = Math.max(Math.min(this.backoffMs * 2 ** (attempts - 1), this.maxBackoffMs), error instanceof TrackerError ? (error.details.retryAfterMs ?? 0) : 0);
      const giveUp = error instanceof TrackerError && permanent(error);
      await this.release(lease, { sync_error: message.slice(0, 2000), sync_attempts: attempts, sync_after: giveUp ? null : new Date(Date.now() + wait), updated_at: new Date() });
      this.options.onFailure?.({ task_id: taskId, provider: mapping.provider }, message);
      this.feed.publish({ kind: 'task', op: 'updated', id: taskId, project_id: await this.projectOf(taskId) });
      if (!(error instanceof TrackerError)) this.options.onError?.(error);
      return;
    }
  }

  /**
   * The link, held by this process until `until`; undefined when another holds it or it is not
   * due. `sweep` skips a push refused for good; `changed` (a change heard) may try it again;
   * `now` (Retry now) ignores any wait.
   */
  private async claim(taskId: number, mode: PushMode): Promise<Lease | undefined> {
    const at = new Date();
    const until = new Date(at.getTime() + this.leaseMs);
    const due =
      mode === 'now' ? undefined
      : mode === 'changed' ? or(isNull(trackerLinkTable.sync_after), lte(trackerLinkTable.sync_after, at))
      : or(and(isNull(trackerLinkTable.sync_after), isNull(trackerLinkTable.sync_error)), lte(trackerLinkTable.sync_after, at));
    const [link] = await this.db
      .update(trackerLinkTable)
      .set({ sync_lease_until: until })
      .where(and(eq(trackerLinkTable.task_id, taskId), or(isNull(trackerLinkTable.sync_lease_until), lte(trackerLinkTable.sync_lease_until, at)), due))
      .returning();
    return link && { link, until };
  }

  /** Holds the lease longer before another write to the tracker; false when it was lost. */
  private async renew(lease: Lease): Promise<boolean> {
    const until = new Date(Date.now() + this.leaseMs);
    const renewed = await this.db
      .update(trackerLinkTable)
      .set({ sync_lease_until: until })
      .where(and(eq(trackerLinkTable.id, lease.link.id), eq(trackerLinkTable.sync_lease_until, lease.until)))
      .returning({ id: trackerLinkTable.id });
    if (renewed.length === 0) return false;
    lease.until = until;
    return true;
  }

  /** Lets go of the lease, if it is still this process's. */
  private async release(lease: Lease, set: Partial<Pick<TrackerLinkRow, 'sync_error' | 'sync_attempts' | 'sync_after' | 'synced_at' | 'updated_at'>>): Promise<void> {
    await this.db
      .update(trackerLinkTable)
      .set({ ...set, sync_lease_until: null })
      .where(and(eq(trackerLinkTable.id, lease.link.id), eq(trackerLinkTable.sync_lease_until, lease.until)));
  }

  /** The task's comments written in wfhub since it was imported and not yet on the tracker, oldest first. */
  private async unpushedComments(link: TrackerLinkRow) {
    return this.db
      .select({ id: commentTable.id, author: commentTable.author, body: commentTable.body, created_at: commentTable.created_at })
      .from(commentTable)
      .leftJoin(trackerCommentLinkTable, eq(trackerCommentLinkTable.comment_id, commentTable.id))
      .where(and(eq(commentTable.task_id, link.task_id), isNull(trackerCommentLinkTable.comment_id), sql`${commentTable.created_at} >= ${link.created_at}`))
      .orderBy(asc(commentTable.id));
  }

  private async projectOf(taskId: number): Promise<number> {
    const [task] = await this.db.select({ project_id: taskTable.project_id }).from(taskTable).where(eq(taskTable.id, taskId));
    return task?.project_id ?? 0;
  }
}


type PushMode = 'sweep' | 'changed' | 'now';
interface Lease {
  link: TrackerLinkRow;
  until: Date;
}

/** The tracker refused this for good (a task gone, a transition the workflow lacks): waiting will not help. */
const permanent = (error: TrackerError) => error.code === 'tracker_not_found' || error.code === 'tracker_rejected';
