import { isDeepStrictEqual } from 'node:util';
import { and, eq, inArray, isNull, max } from 'drizzle-orm';
import { commentTable } from '../comments/comment.sql.js';
import type { Change, ChangeFeed } from '../db/change-feed.js';
import type { Database } from '../db/database.js';
import { taskTable } from '../tasks/task.sql.js';
import type { CredentialService } from './credential.service.js';
import type { ImportBody, ImportEvent, ImportResult } from './integration.schema.js';
import { trackerCommentLinkTable, trackerLinkTable, trackerMappingTable, type ImportedFields, type TrackerMappingRow } from './integration.sql.js';
import type { MappingService } from './mapping.service.js';
import { markedComment } from './tracker-comment.js';
import { TrackerError } from './tracker-error.js';
import type { ExternalTask, TrackerKind, TrackerProvider } from './tracker-provider.js';
import { trackerInfo } from './trackers.js';

/** Tasks read from the tracker at once. */
const readers = 4;

type Outcome = 'created' | 'updated' | 'unchanged';

/** The names wfhub's own columns allow. */
const cut = (value: string, max: number) => (value.length > max ? `${value.slice(0, max - 1)}…` : value);
/** Only web links are kept: a tracker's answer is not trusted to be one (a `javascript:` link, say). */
const webLink = (value: string) => (/^https?:\/\//i.test(value) ? cut(value, 2000) : '');
/** PostgreSQL text holds no NUL. */
const storable = (value: string) => value.replaceAll('\0', '');

function fieldsOf(task: ExternalTask): ImportedFields {
  return { title: cut(storable(task.title).trim() || `(untitled ${task.external_id})`, 500), description: cut(storable(task.description), 200_000), status: task.status, priority: task.priority ?? 'none' };
}

/**
 * Brings a tracker's tasks into a wfhub project: each with its description, status, priority,
 * comments, attachments (their names and links) and subtasks (read whole too, at any depth).
 * A task imported before is updated, never copied: a field changes only where the tracker
 * changed it since the last import, so what was edited in wfhub meanwhile stays. Each task is
 * written in a transaction of its own, so an import cut short keeps what it wrote, and running
 * it again picks up the rest.
 */
export class TrackerImport {
  constructor(
    private readonly db: Database,
    private readonly feed: ChangeFeed,
    private readonly credentials: CredentialService,
    private readonly mappings: MappingService,
  ) {}

  /** `signal` stops it between tasks (the client went away): what was written stays. */
  async run(body: ImportBody, onEvent?: (event: ImportEvent) => void, signal?: AbortSignal): Promise<ImportResult> {
    const mapping = await this.mappings.row(body.mapping_id);
    const listed = (await this.mappings.listAll(mapping)).map((task) => task.external_id);
    const result: ImportResult = { created: 0, updated: 0, unchanged: 0, failed: [] };
    // Only the mapped project's tasks (their subtasks come with them): not whatever else the token sees.
    const inProject = new Set(listed);
    const selected = (body.external_ids ?? listed).filter((id) => {
      if (inProject.has(id)) return true;
      result.failed.push({ external_id: id, message: `${id} is not a task of ${mapping.external_project_name} (a subtask comes with its parent: import that).` });
      return false;
    });
    await this.credentials.use(mapping.credential_id, async (tracker) => {
      const queue = [...new Set(selected)].map((id) => ({ id, parent: undefined as string | undefined }));
      const queued = new Set(queue.map((item) => item.id));
      let done = 0;
      // Subtasks join the queue as their parents are read, and idle readers are started for
      // them. A failure stops the others after their task, and is told once they have finished:
      // when the import answers, nothing is still writing.
      let active = 0;
      let failure: { error: unknown } | undefined;
      let settle: () => void = () => {};
      const reader = async () => {
        for (let item = queue.shift(); item && !failure; item = queue.shift()) {
          signal?.throwIfAborted();
          const readAt = new Date();
          const task = await this.read(tracker, mapping, item.id, result);
          if (task) {
            const outcome = await this.write(mapping, mapping.provider, task, task.parent_external_id ?? item.parent, readAt);
            result[outcome]++;
            for (const subtask of task.subtasks) {
              if (queued.has(subtask.external_id)) continue;
              queued.add(subtask.external_id);
              queue.push({ id: subtask.external_id, parent: task.external_id });
            }
            start();
          }
          done++;
          onEvent?.({ type: 'import.progress', done, total: queued.size, external_id: item.id });
        }
      };
      const start = () => {
        while (active < readers && queue.length > 0 && !failure) {
          active++;
          reader().then(
            () => {
              active--;
              if (active === 0) settle();
            },
            (error: unknown) => {
              failure ??= { error };
              queue.length = 0;
              active--;
              if (active === 0) settle();
            },
          );
        }
      };
      await new Promise<void>((resolve, reject) => {
        settle = () => (failure ? reject(failure.error) : resolve());
        start();
        if (active === 0) settle();
      });
    });
    onEvent?.({ type: 'import.finished', result });
    return result;
  }

  /** The whole task, or undefined (noted as failed) when the tracker has no such task for us. */
  private async read(tracker: TrackerProvider, mapping: TrackerMappingRow, externalId: string, result: ImportResult): Promise<ExternalTask | undefined> {
    try {
      return await tracker.getTask(mapping.external_project_id, externalId);
    } catch (error) {
      // A task gone or refused is that task's failure; a refused token, a rate limit or a tracker
      // that does not answer would fail every other task too, so the import stops with it.
      if (error instanceof TrackerError && (error.code === 'tracker_not_found' || error.code === 'tracker_rejected')) {
        result.failed.push({ external_id: externalId, message: error.message });
        return undefined;
      }
      throw error;
    }
  }

  private async write(mapping: TrackerMappingRow, provider: TrackerKind, task: ExternalTask, parentExternalId: string | undefined, readAt: Date): Promise<Outcome> {
    const changes: Change[] = [];
    const outcome = await this.db.transaction(async (transaction) => {
      const db = transaction as unknown as Database;
      // One writer per mapping at a time, whichever process imports: no task is linked twice.
      const [locked] = await db.select({ id: trackerMappingTable.id }).from(trackerMappingTable).where(eq(trackerMappingTable.id, mapping.id)).for('update');
      if (!locked) return 'unchanged' as const;
      const remote = fieldsOf(task);
      const links = await db
        .select({ external_id: trackerLinkTable.external_id, task_id: trackerLinkTable.task_id })
        .from(trackerLinkTable)
        .where(and(eq(trackerLinkTable.mapping_id, mapping.id), inArray(trackerLinkTable.external_id, [task.external_id, ...(parentExternalId ? [parentExternalId] : []), ...task.subtasks.map((subtask) => subtask.external_id)])));
      const taskOf = new Map(links.map((link) => [link.external_id, link.task_id]));
      const parentId = parentExternalId ? taskOf.get(parentExternalId) : undefined;
      const [link] = await db.select().from(trackerLinkTable).where(and(eq(trackerLinkTable.mapping_id, mapping.id), eq(trackerLinkTable.external_id, task.external_id)));
      const attachments = task.attachments.flatMap((file) => (webLink(file.url) ? [{ ...file, name: cut(storable(file.name), 500), url: webLink(file.url) }] : []));
      const url = webLink(task.url);
      let changed = false;
      let taskId: number;

      if (!link) {
        const [last] = await db.select({ value: max(taskTable.position) }).from(taskTable).where(eq(taskTable.project_id, mapping.project_id));
        const [row] = await db
          .insert(taskTable)
          .values({ project_id: mapping.project_id, parent_id: parentId ?? null, ...remote, position: Math.floor(last?.value ?? 0) + 1 })
          .returning({ id: taskTable.id });
        taskId = row!.id;
        const [created] = await db
          .insert(trackerLinkTable)
          .values({ mapping_id: mapping.id, task_id: taskId, external_id: task.external_id, url, imported: remote, attachments, remote_status: remote.status })
          .returning({ id: trackerLinkTable.id });
        changes.push({ kind: 'task', op: 'created', id: taskId, project_id: mapping.project_id });
        await this.writeComments(db, created!.id, taskId, provider, task, changes);
      } else {
        taskId = link.task_id;
        const [current] = await db.select().from(taskTable).where(eq(taskTable.id, taskId));
        if (!current) return 'unchanged' as const;
        const update: Partial<ImportedFields> & { parent_id?: number } = {};
        for (const field of ['title', 'description', 'priority'] as const) {
          // Changed on the tracker since the last import, and left alone here: what was edited in
          // wfhub meanwhile stays.
          if (remote[field] !== link.imported[field] && current[field] === link.imported[field] && current[field] !== remote[field]) update[field] = remote[field] as never;
        }
        // The status is also pushed: a push under way, or one made after this task was read,
        // says more than this reading; a status changed here and not pushed yet wins over the
        // tracker's (it is pushed next).
        const pushing = (link.sync_lease_until !== null && link.sync_lease_until > new Date()) || (link.synced_at !== null && link.synced_at >= readAt);
        const trackerMoved = !pushing && remote.status !== link.imported.status;
        if (trackerMoved && current.status === link.remote_status && current.status !== remote.status) update.status = remote.status;
        const snapshot = pushing ? { ...remote, status: link.imported.status } : remote;
        if (parentId !== undefined && current.parent_id === null && parentId !== taskId) update.parent_id = parentId;
        if (Object.keys(update).length > 0) {
          await db.update(taskTable).set({ ...update, updated_at: new Date() }).where(eq(taskTable.id, taskId));
          changes.push({ kind: 'task', op: 'updated', id: taskId, project_id: mapping.project_id });
          changed = true;
        }
        // jsonb keeps its own key order: compared as values, not as text.
        const sameAttachments = isDeepStrictEqual(link.attachments, attachments);
        if (!sameAttachments || link.url !== url) changed = true;
        await db
          .update(trackerLinkTable)
          .set({
            imported: snapshot,
            url,
            attachments,
            // The tracker's own move since the last import is its state now; otherwise wfhub's
            // last push stands (a tracker with fewer states reads back coarser than it was told).
            ...(trackerMoved && { remote_status: remote.status }),
            imported_at: new Date(),
            updated_at: new Date(),
          })
          .where(eq(trackerLinkTable.id, link.id));
        if (await this.writeComments(db, link.id, taskId, provider, task, changes)) changed = true;
      }

      // Subtasks imported before their parent hang under it now.
      for (const subtask of task.subtasks) {
        const childId = taskOf.get(subtask.external_id);
        if (childId === undefined || childId === taskId) continue;
        const moved = await db
          .update(taskTable)
          .set({ parent_id: taskId, updated_at: new Date() })
          .where(and(eq(taskTable.id, childId), eq(taskTable.project_id, mapping.project_id), isNull(taskTable.parent_id)))
          .returning({ id: taskTable.id });
        if (moved.length > 0) {
          changes.push({ kind: 'task', op: 'updated', id: childId, project_id: mapping.project_id });
          changed = true;
        }
      }
      return link ? (changed ? 'updated' : 'unchanged') : 'created';
    });
    for (const change of changes) this.feed.publish(change);
    return outcome;
  }

  /** The tracker's comments not seen before are added, and edited ones updated; true when any was. */
  private async writeComments(db: Database, linkId: number, taskId: number, provider: TrackerKind, task: ExternalTask, changes: Change[]): Promise<boolean> {
    if (task.comments.length === 0) return false;
    const known = await db
      .select({ external_id: trackerCommentLinkTable.external_id, comment_id: trackerCommentLinkTable.comment_id, pushed: trackerCommentLinkTable.pushed, body: commentTable.body })
      .from(trackerCommentLinkTable)
      .innerJoin(commentTable, eq(commentTable.id, trackerCommentLinkTable.comment_id))
      .where(eq(trackerCommentLinkTable.link_id, linkId));
    const byExternalId = new Map(known.map((row) => [row.external_id, row]));
    const trackerName = trackerInfo.find((info) => info.id === provider)!.name;
    let changed = false;
    for (const comment of task.comments) {
      const body = cut(storable(comment.body), 200_000) || '(empty comment)';
      const seen = byExternalId.get(comment.external_id);
      const original = seen ? undefined : markedComment(comment.body);
      if (original !== undefined) {
        // One of wfhub's own, pushed before (its link lost, or posted twice): linked to the
        // original, never copied in.
        const [mine] = await db.select({ id: commentTable.id }).from(commentTable).where(and(eq(commentTable.id, original), eq(commentTable.task_id, taskId)));
        if (mine) {
          await db.insert(trackerCommentLinkTable).values({ link_id: linkId, external_id: comment.external_id, comment_id: mine.id, pushed: true }).onConflictDoNothing();
          continue;
        }
      }
      if (seen) {
        // wfhub's own comments come back as the tracker renders them: they are not taken back.
        if (!seen.pushed && seen.body !== body) {
          await db.update(commentTable).set({ body, updated_at: new Date() }).where(eq(commentTable.id, seen.comment_id));
          changes.push({ kind: 'comment', op: 'updated', id: seen.comment_id, task_id: taskId });
          changed = true;
        }
        continue;
      }
      const at = new Date(comment.created_at);
      const when = Number.isNaN(at.getTime()) ? new Date() : at;
      const [row] = await db
        .insert(commentTable)
        .values({ task_id: taskId, author: cut(`${storable(comment.author ?? '').trim() || 'someone'} (${trackerName})`, 100), body, created_at: when, updated_at: when })
        .returning({ id: commentTable.id });
      await db.insert(trackerCommentLinkTable).values({ link_id: linkId, external_id: comment.external_id, comment_id: row!.id });
      changes.push({ kind: 'comment', op: 'created', id: row!.id, task_id: taskId });
      changed = true;
    }
    return changed;
  }
}
