import { and, asc, count, eq, ilike, inArray, isNull, max, or, sql, type SQL } from 'drizzle-orm';
import { criterionTable } from '../acceptance-criteria/criterion.sql.js';
import type { AttachmentService } from '../attachments/attachment.service.js';
import { InvalidInputError, NotFoundError, UnprocessableError } from '../core/errors.js';
import type { PageOf } from '../core/schema-helpers.js';
import type { ChangeFeed } from '../db/change-feed.js';
import { rowsOf, type Database } from '../db/database.js';
import type { NodeService } from '../nodes/node.service.js';
import { nodeTable } from '../nodes/node.sql.js';
import { projectTable } from '../projects/project.sql.js';
import type { Task, TaskCreate, TaskListQuery, TaskUpdate } from './task.schema.js';
import { blockersOf, dependantsOutside, replaceBlockers } from './task-dependencies.js';
import { lockTaskTree } from './task-lookup.js';
import { taskTable, type TaskRow } from './task.sql.js';

const taskColumns = {
  id: taskTable.id,
  project_id: taskTable.project_id,
  parent_id: taskTable.parent_id,
  node_id: taskTable.node_id,
  node_name: nodeTable.name,
  title: taskTable.title,
  description: taskTable.description,
  status: taskTable.status,
  priority: taskTable.priority,
  position: taskTable.position,
  autopilot: taskTable.autopilot,
  created_at: taskTable.created_at,
  updated_at: taskTable.updated_at,
};

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

export class TaskService {
  constructor(
    private readonly db: Database,
    private readonly nodes: NodeService,
    private readonly attachments: AttachmentService,
    private readonly feed: ChangeFeed,
    private readonly options: {
      /** Refuses (throws) to delete tasks something still works on: a running run. In the delete's transaction. */
      beforeDelete?: (db: Database, taskIds: readonly number[]) => Promise<void>;
      /** Refuses (throws) a change the task's pipeline does not allow: done before its gates passed. In the update's transaction. */
      beforeUpdate?: (db: Database, current: TaskRow, input: TaskUpdate) => Promise<void>;
    } = {},
  ) {}

  private selectTasks(db: Database = this.db) {
    return db.select(taskColumns).from(taskTable).leftJoin(nodeTable, eq(nodeTable.id, taskTable.node_id));
  }

  /** The rows with their blockers, read in one query for all of them. */
  private async withBlockers<Row extends { id: number }>(rows: Row[]): Promise<(Row & { blocked_by: number[] })[]> {
    const blockers = await blockersOf(this.db, rows.map((row) => row.id));
    return rows.map((row) => ({ ...row, blocked_by: blockers.get(row.id) ?? [] }));
  }

  async get(id: number): Promise<Task> {
    const [row] = await this.selectTasks().where(eq(taskTable.id, id));
    if (!row) throw new NotFoundError('task', id);
    const [task] = await this.withBlockers([row]);
    return task!;
  }

  async listForProject(projectId: number, query: TaskListQuery): Promise<PageOf<Task>> {
    await this.requireProject(this.db, projectId);
    const conditions: (SQL | undefined)[] = [eq(taskTable.project_id, projectId)];
    if (query.status?.length) conditions.push(inArray(taskTable.status, query.status));
    if (query.parent === 'none') conditions.push(isNull(taskTable.parent_id));
    else if (query.parent !== undefined) conditions.push(eq(taskTable.parent_id, query.parent));
    if (query.node) {
      const node = await this.nodes.find(/^\d+$/.test(query.node) ? Number(query.node) : query.node);
      conditions.push(eq(taskTable.node_id, node.id));
    }
    if (query.q) {
      const pattern = likePattern(query.q);
      conditions.push(or(ilike(taskTable.title, pattern), ilike(taskTable.description, pattern)));
    }
    const where = and(...conditions);
    const [items, [total]] = await Promise.all([
      this.selectTasks()
        .where(where)
        .orderBy(asc(taskTable.position), asc(taskTable.id))
        .limit(query.limit)
        .offset(query.offset),
      this.db.select({ value: count() }).from(taskTable).where(where),
    ]);
    return { items: await this.withBlockers(items), total: total?.value ?? 0 };
  }

  async create(input: TaskCreate): Promise<Task> {
    const nodeId = await this.resolveNode(input.node_id, input.node);
    const id = await this.db.transaction(async (transaction) => {
      const db = transaction as unknown as Database;
      await this.requireProject(db, input.project_id, { lock: true });
      if (input.parent_id != null) await this.checkParent(db, input.project_id, input.parent_id);
      const position = input.position ?? (await this.nextPosition(db, input.project_id));
      const [row] = await db
        .insert(taskTable)
        .values({
          project_id: input.project_id,
          parent_id: input.parent_id ?? null,
          node_id: nodeId ?? null,
          title: input.title,
          description: input.description ?? '',
          status: input.status ?? 'todo',
          priority: input.priority ?? 'none',
          position,
          autopilot: input.autopilot ?? false,
        })
        .returning({ id: taskTable.id });
      const criteria = (input.acceptance_criteria ?? []).map((criterion, index) =>
        typeof criterion === 'string' ? { text: criterion, position: index + 1 } : { position: index + 1, ...criterion },
      );
      if (criteria.length > 0) {
        await db.insert(criterionTable).values(criteria.map((criterion) => ({ ...criterion, task_id: row!.id })));
      }
      if (input.blocked_by?.length) await replaceBlockers(db, row!.id, input.blocked_by);
      return row!.id;
    });
    this.feed.publish({ kind: 'task', op: 'created', id, project_id: input.project_id });
    return this.get(id);
  }

  async update(id: number, input: TaskUpdate): Promise<Task> {
    const nodeId = await this.resolveNode(input.node_id, input.node);
    const projectId = await this.db.transaction(async (transaction) => {
      const db = transaction as unknown as Database;
      const [current] = await db.select().from(taskTable).where(eq(taskTable.id, id));
      if (!current) throw new NotFoundError('task', id);
      await this.options.beforeUpdate?.(db, current, input);
      if (input.parent_id != null) {
        await this.requireProject(db, current.project_id, { lock: true });
        await this.checkParent(db, current.project_id, input.parent_id, id);
      }
      await db
        .update(taskTable)
        .set({
          ...(input.title !== undefined && { title: input.title }),
          ...(input.description !== undefined && { description: input.description }),
          ...(input.status !== undefined && { status: input.status }),
          ...(input.priority !== undefined && { priority: input.priority }),
          ...(input.position !== undefined && { position: input.position }),
          ...(input.parent_id !== undefined && { parent_id: input.parent_id }),
          ...(nodeId !== undefined && { node_id: nodeId }),
          ...(input.autopilot !== undefined && { autopilot: input.autopilot }),
          updated_at: new Date(),
        })
        .where(eq(taskTable.id, id));
      if (input.blocked_by !== undefined) await replaceBlockers(db, id, input.blocked_by);
      return current.project_id;
    });
    this.feed.publish({ kind: 'task', op: 'updated', id, project_id: projectId });
    return this.get(id);
  }

  /**
   * Deletes the task with its subtasks, comments, criteria, attachments (files included) and
   * dependencies; the tasks that waited for them no longer do.
   */
  async delete(id: number): Promise<void> {
    const { files, ids, projectId, dependants } = await this.db.transaction(async (transaction) => {
      const db = transaction as unknown as Database;
      const ids = await lockTaskTree(db, id);
      if (ids.length === 0) throw new NotFoundError('task', id);
      await this.options.beforeDelete?.(db, ids);
      const names = await this.attachments.storedNamesOfTasks(db, ids);
      const dependants = await dependantsOutside(db, ids);
      const [deleted] = await db.delete(taskTable).where(eq(taskTable.id, id)).returning({ project_id: taskTable.project_id });
      return { files: names, ids, projectId: deleted!.project_id, dependants };
    });
    for (const deletedId of ids) this.feed.publish({ kind: 'task', op: 'deleted', id: deletedId, project_id: projectId });
    // Their blocked_by lost the deleted tasks (the rows cascade): they may be free to start now.
    for (const dependant of dependants) this.feed.publish({ kind: 'task', op: 'updated', id: dependant.id, project_id: dependant.project_id });
    await this.attachments.removeStoredFiles(files);
  }

  /** node_id wins when both are given and agree; null clears the node; undefined leaves it. */
  private async resolveNode(nodeId: number | null | undefined, name: string | undefined) {
    if (name === undefined) {
      if (nodeId != null) await this.nodes.get(nodeId);
      return nodeId;
    }
    const node = await this.nodes.find(name);
    if (nodeId !== undefined && nodeId !== node.id) {
      throw new InvalidInputError(
        'conflicting_node',
        `node "${name}" is node ${node.id}, but node_id says ${nodeId}. Send one of them.`,
      );
    }
    return node.id;
  }

  private async requireProject(db: Database, projectId: number, options: { lock?: boolean } = {}) {
    // Locking the project row serialises parent changes within a project, so two concurrent
    // updates cannot together build a cycle that neither sees alone.
    const query = db.select({ id: projectTable.id }).from(projectTable).where(eq(projectTable.id, projectId));
    const [row] = options.lock ? await query.for('update') : await query;
    if (!row) throw new NotFoundError('project', projectId);
  }

  private async checkParent(db: Database, projectId: number, parentId: number, taskId?: number) {
    const [parent] = await db
      .select({ id: taskTable.id, project_id: taskTable.project_id })
      .from(taskTable)
      .where(eq(taskTable.id, parentId));
    if (!parent) throw new NotFoundError('task', parentId);
    if (parent.project_id !== projectId) {
      throw new UnprocessableError(
        'parent_in_other_project',
        `Task ${parentId} belongs to project ${parent.project_id}, not ${projectId}: a subtask's parent must be in the same project.`,
        { parent_id: parentId },
      );
    }
    if (taskId === undefined) return;
    if (parentId === taskId) {
      throw new UnprocessableError('parent_cycle', `Task ${taskId} cannot be its own parent.`, { parent_id: parentId });
    }
    // `union` (not `union all`) drops rows already seen, so the walk ends even on data that
    // somehow holds a cycle; there is no depth cap a long chain could get past.
    const result = await db.execute(sql`
      with recursive ancestors(id, parent_id) as (
        select id, parent_id from tasks where id = ${parentId}
        union
        select t.id, t.parent_id from tasks t join ancestors a on t.id = a.parent_id
      ) select 1 as found from ancestors where id = ${taskId} limit 1`);
    if (rowsOf(result).length > 0) {
      throw new UnprocessableError(
        'parent_cycle',
        `Task ${parentId} is a subtask of task ${taskId}; making it the parent would create a cycle.`,
        { parent_id: parentId },
      );
    }
  }

  private async nextPosition(db: Database, projectId: number): Promise<number> {
    const [row] = await db.select({ value: max(taskTable.position) }).from(taskTable).where(eq(taskTable.project_id, projectId));
    return Math.floor(row?.value ?? 0) + 1;
  }
}
