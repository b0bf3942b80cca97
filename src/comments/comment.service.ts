import { and, asc, count, desc, eq, ne } from 'drizzle-orm';
import { NotFoundError } from '../core/errors.js';
import type { Page, PageOf } from '../core/schema-helpers.js';
import type { ChangeFeed } from '../db/change-feed.js';
import type { Database } from '../db/database.js';
import { requireTask } from '../tasks/task-lookup.js';
import type { Comment, CommentCreate, CommentUpdate } from './comment.schema.js';
import { commentTable } from './comment.sql.js';

export class CommentService {
  constructor(
    private readonly db: Database,
    private readonly feed: ChangeFeed,
  ) {}

  async list(taskId: number, page: Page): Promise<PageOf<Comment>> {
    await requireTask(this.db, taskId);
    const where = eq(commentTable.task_id, taskId);
    const [items, [total]] = await Promise.all([
      this.db.select().from(commentTable).where(where).orderBy(asc(commentTable.id)).limit(page.limit).offset(page.offset),
      this.db.select({ value: count() }).from(commentTable).where(where),
    ]);
    return { items, total: total?.value ?? 0 };
  }

  /**
   * A task's newest comments (oldest first), by one author or by all but one: a run's prompt
   * wants what people said, however many summaries wfhub wrote since.
   */
  async newest(taskId: number, options: { limit: number; author?: string; notAuthor?: string }): Promise<Comment[]> {
    const where = and(
      eq(commentTable.task_id, taskId),
      options.author === undefined ? undefined : eq(commentTable.author, options.author),
      options.notAuthor === undefined ? undefined : ne(commentTable.author, options.notAuthor),
    );
    const rows = await this.db.select().from(commentTable).where(where).orderBy(desc(commentTable.id)).limit(options.limit);
    return rows.reverse();
  }

  async get(id: number): Promise<Comment> {
    const [row] = await this.db.select().from(commentTable).where(eq(commentTable.id, id));
    if (!row) throw new NotFoundError('comment', id);
    return row;
  }

  async create(taskId: number, input: CommentCreate): Promise<Comment> {
    const comment = await this.db.transaction(async (transaction) => {
      const db = transaction as unknown as Database;
      await requireTask(db, taskId);
      const [row] = await db
        .insert(commentTable)
        .values({ task_id: taskId, body: input.body, author: input.author ?? 'user' })
        .returning();
      return row!;
    });
    this.feed.publish({ kind: 'comment', op: 'created', id: comment.id, task_id: taskId });
    return comment;
  }

  async update(id: number, input: CommentUpdate): Promise<Comment> {
    const [row] = await this.db
      .update(commentTable)
      .set({ body: input.body, updated_at: new Date() })
      .where(eq(commentTable.id, id))
      .returning();
    if (!row) throw new NotFoundError('comment', id);
    this.feed.publish({ kind: 'comment', op: 'updated', id, task_id: row.task_id });
    return row;
  }

  async delete(id: number): Promise<void> {
    const [deleted] = await this.db.delete(commentTable).where(eq(commentTable.id, id)).returning({ task_id: commentTable.task_id });
    if (!deleted) throw new NotFoundError('comment', id);
    this.feed.publish({ kind: 'comment', op: 'deleted', id, task_id: deleted.task_id });
  }
}
