import { asc, count, eq, max } from 'drizzle-orm';
import { NotFoundError } from '../core/errors.js';
import type { Page, PageOf } from '../core/schema-helpers.js';
import type { Database } from '../db/database.js';
import { requireTask } from '../tasks/task-lookup.js';
import type { Criterion, CriterionCreate, CriterionUpdate } from './criterion.schema.js';
import { criterionTable, type CriterionRow } from './criterion.sql.js';

/** A stored criterion as the API tells it: the `check_command` column is `check`. */
function toCriterion({ check_command, ...row }: CriterionRow): Criterion {
  return { ...row, check: check_command };
}

export class CriterionService {
  constructor(private readonly db: Database) {}

  async list(taskId: number, page: Page): Promise<PageOf<Criterion>> {
    await requireTask(this.db, taskId);
    const where = eq(criterionTable.task_id, taskId);
    const [items, [total]] = await Promise.all([
      this.db
        .select()
        .from(criterionTable)
        .where(where)
        .orderBy(asc(criterionTable.position), asc(criterionTable.id))
        .limit(page.limit)
        .offset(page.offset),
      this.db.select({ value: count() }).from(criterionTable).where(where),
    ]);
    return { items: items.map(toCriterion), total: total?.value ?? 0 };
  }

  async create(taskId: number, input: CriterionCreate): Promise<Criterion> {
    return this.db.transaction(async (transaction) => {
      const db = transaction as unknown as Database;
      await requireTask(db, taskId);
      let position = input.position;
      if (position === undefined) {
        const [last] = await db
          .select({ value: max(criterionTable.position) })
          .from(criterionTable)
          .where(eq(criterionTable.task_id, taskId));
        position = Math.floor(last?.value ?? 0) + 1;
      }
      const [row] = await db
        .insert(criterionTable)
        .values({
          task_id: taskId,
          text: input.text,
          done: input.done ?? false,
          check_command: input.check_command ?? null,
          position,
        })
        .returning();
      return toCriterion(row!);
    });
  }

  async update(id: number, input: CriterionUpdate): Promise<Criterion> {
    const [row] = await this.db
      .update(criterionTable)
      .set({
        ...(input.text !== undefined && { text: input.text }),
        ...(input.done !== undefined && { done: input.done }),
        ...(input.check_command !== undefined && { check_command: input.check_command }),
        ...(input.position !== undefined && { position: input.position }),
        updated_at: new Date(),
      })
      .where(eq(criterionTable.id, id))
      .returning();
    if (!row) throw new NotFoundError('acceptance criterion', id);
    return toCriterion(row);
  }

  async delete(id: number): Promise<void> {
    const deleted = await this.db
      .delete(criterionTable)
      .where(eq(criterionTable.id, id))
      .returning({ id: criterionTable.id });
    if (deleted.length === 0) throw new NotFoundError('acceptance criterion', id);
  }
}
