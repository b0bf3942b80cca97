import { and, asc, count, eq, inArray } from 'drizzle-orm';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { maxId } from '../core/schema-helpers.js';
import type { Database } from '../db/database.js';
import type { Node, NodeCreate, NodeUpdate } from './node.schema.js';
import { runTable } from '../runs/run.sql.js';
import { taskTable } from '../tasks/task.sql.js';
import { nodeTable } from './node.sql.js';

/** The roles wfhub comes with: changed with PATCH, never deleted (runs and pipelines count on them). */
export const builtInRoles: readonly string[] = ['pm', 'dev', 'qa', 'security', 'documentation'];

export class NodeService {
  constructor(
    private readonly db: Database,
    private readonly options: {
      /** Refuses (throws) to delete a role something else still names (a project's pipeline). In the delete's transaction. */
      beforeDelete?: (db: Database, name: string) => Promise<void>;
    } = {},
  ) {}

  list(): Promise<Node[]> {
    return this.db.select().from(nodeTable).orderBy(asc(nodeTable.id));
  }

  async get(id: number): Promise<Node> {
    if (!Number.isInteger(id) || id < 1 || id > maxId) throw new NotFoundError('node', id);
    const [row] = await this.db.select().from(nodeTable).where(eq(nodeTable.id, id));
    if (!row) throw new NotFoundError('node', id);
    return row;
  }

  /** A node named by id or by name (`dev`). */
  async find(reference: number | string): Promise<Node> {
    if (typeof reference === 'number') return this.get(reference);
    const [row] = await this.db.select().from(nodeTable).where(eq(nodeTable.name, reference));
    if (row) return row;
    // Names are matched exactly first (they are unique as written), then whatever their case.
    const all = await this.list();
    const folded = all.filter((node) => node.name.toLowerCase() === reference.toLowerCase());
    if (folded.length === 1) return folded[0]!;
    throw new NotFoundError('node', reference, `The roles are: ${all.map((node) => node.name).join(', ')}.`);
  }

  /** Adds a role of the user's own; its name must be new. */
  async create(input: NodeCreate): Promise<Node> {
    const [row] = await this.db
      .insert(nodeTable)
      .values({
        name: input.name,
        directive: input.directive,
        model: input.model ?? null,
        executor: input.executor ?? null,
        max_steps: input.max_steps ?? null,
        max_run_minutes: input.max_run_minutes ?? null,
        token_budget: input.token_budget ?? null,
      })
      .onConflictDoNothing({ target: nodeTable.name })
      .returning();
    if (!row) throw new ConflictError('node_exists', `A role named "${input.name}" exists already: change it with PATCH /nodes/{id}, or pick another name.`);
    return row;
  }

  /** Changes a role's directive, model or limits; fields left out stay as they are. */
  async update(id: number, input: NodeUpdate): Promise<Node> {
    const current = await this.get(id);
    const changes = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
    if (Object.keys(changes).length === 0) return current;
    const [row] = await this.db
      .update(nodeTable)
      .set({ ...changes, updated_at: new Date() })
      .where(eq(nodeTable.id, id))
      .returning();
    if (!row) throw new NotFoundError('node', id);
    return row;
  }

  /** Deletes a role of the user's own that no task has and no queued or running run uses; past runs keep their record. */
  async delete(id: number): Promise<void> {
    const node = await this.get(id);
    if (builtInRoles.includes(node.name)) {
      throw new ConflictError('node_built_in', `The role "${node.name}" comes with wfhub and cannot be deleted: change its directive or model with PATCH /nodes/${id}.`);
    }
    await this.db.transaction(async (transaction) => {
      // The row locked first: a task or a run given the role meanwhile waits for this, and is then
      // refused (the role is gone), or is seen by the counts below (it came first).
      const [locked] = await transaction.select({ id: nodeTable.id }).from(nodeTable).where(eq(nodeTable.id, id)).for('update');
      if (!locked) throw new NotFoundError('node', id);
      await this.options.beforeDelete?.(transaction as unknown as Database, node.name);
      const [tasks] = await transaction.select({ count: count() }).from(taskTable).where(eq(taskTable.node_id, id));
      const [runs] = await transaction
        .select({ count: count() })
        .from(runTable)
        .where(and(eq(runTable.node_id, id), inArray(runTable.status, ['queued', 'running'])));
      const taskCount = tasks?.count ?? 0;
      const runCount = runs?.count ?? 0;
      if (taskCount > 0) {
        throw new ConflictError(
          'node_in_use',
          `${taskCount} task${taskCount === 1 ? ' has' : 's have'} the role "${node.name}": give ${taskCount === 1 ? 'it' : 'them'} another (PATCH /tasks/{id} {"node": "dev"}) before deleting it.`,
        );
      }
      if (runCount > 0) {
        throw new ConflictError('node_in_use', `${runCount} run${runCount === 1 ? ' is' : 's are'} queued or working in the role "${node.name}": let ${runCount === 1 ? 'it' : 'them'} end (or cancel ${runCount === 1 ? 'it' : 'them'}) before deleting it.`);
      }
      await transaction.delete(nodeTable).where(eq(nodeTable.id, id));
    });
  }
}
