import type { Readable } from 'node:stream';
import { asc, count, eq, inArray } from 'drizzle-orm';
import { NotFoundError } from '../core/errors.js';
import type { Page, PageOf } from '../core/schema-helpers.js';
import type { Database } from '../db/database.js';
import { requireTask } from '../tasks/task-lookup.js';
import type { AttachmentStore } from './attachment-store.js';
import type { Attachment } from './attachment.schema.js';
import { attachmentTable, type AttachmentRow } from './attachment.sql.js';
import { cleanContentType, cleanFileName } from './file-metadata.js';

/** One file of an upload, as the client sent it. */
export interface IncomingFile {
  file_name: string | undefined;
  content_type: string | undefined;
  stream: Readable;
}

export class AttachmentService {
  constructor(
    private readonly db: Database,
    readonly store: AttachmentStore,
  ) {}

  private present(row: AttachmentRow): Attachment {
    const { stored_name: _stored, ...rest } = row;
    return { ...rest, download_url: `/attachments/${row.id}/download` };
  }

  async list(taskId: number, page: Page): Promise<PageOf<Attachment>> {
    await requireTask(this.db, taskId);
    const where = eq(attachmentTable.task_id, taskId);
    const [rows, [total]] = await Promise.all([
      this.db.select().from(attachmentTable).where(where).orderBy(asc(attachmentTable.id)).limit(page.limit).offset(page.offset),
      this.db.select({ value: count() }).from(attachmentTable).where(where),
    ]);
    return { items: rows.map((row) => this.present(row)), total: total?.value ?? 0 };
  }

  async get(id: number): Promise<Attachment> {
    return this.present(await this.row(id));
  }

  private async row(id: number): Promise<AttachmentRow> {
    const [row] = await this.db.select().from(attachmentTable).where(eq(attachmentTable.id, id));
    if (!row) throw new NotFoundError('attachment', id);
    return row;
  }

  /**
   * Stores the files of one upload and records them together: either all of them are kept or,
   * when one is too large or the task is gone, none is.
   */
  async upload(taskId: number, files: AsyncIterable<IncomingFile>): Promise<Attachment[]> {
    await requireTask(this.db, taskId);
    const saved: { file_name: string; content_type: string; stored_name: string; size_bytes: number }[] = [];
    try {
      for await (const file of files) {
        const stored = await this.store.save(file.stream);
        saved.push({ file_name: cleanFileName(file.file_name), content_type: cleanContentType(file.content_type), ...stored });
      }
      if (saved.length === 0) return [];
      await this.store.sync(saved.map((file) => file.stored_name));
      const rows = await this.db.transaction(async (transaction) => {
        const db = transaction as unknown as Database;
        await requireTask(db, taskId);
        return db.insert(attachmentTable).values(saved.map((file) => ({ ...file, task_id: taskId }))).returning();
      });
      return rows.map((row) => this.present(row));
    } catch (error) {
      await this.store.remove(saved.map((file) => file.stored_name));
      throw error;
    }
  }

  /** The attachment, a stream of its bytes and their number as stored. */
  async download(id: number): Promise<{ attachment: Attachment; stream: Readable; size: number }> {
    const row = await this.row(id);
    const file = await this.store.open(row.stored_name);
    if (!file) throw new NotFoundError('attachment', id);
    return { attachment: this.present(row), ...file };
  }

  /** The file's bytes, for an attachment small enough to hold in memory (an image to describe). */
  async bytes(id: number, maxBytes: number): Promise<Buffer | undefined> {
    const row = await this.row(id);
    if (row.size_bytes > maxBytes) return undefined;
    const opened = await this.store.open(row.stored_name);
    if (!opened) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of opened.stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** Keeps what a vision model saw in an image, so it is asked once per model. */
  async recordDescription(id: number, model: string, description: string): Promise<void> {
    await this.db.update(attachmentTable).set({ description, description_model: model }).where(eq(attachmentTable.id, id));
  }

  async delete(id: number): Promise<void> {
    const [row] = await this.db.delete(attachmentTable).where(eq(attachmentTable.id, id)).returning();
    if (!row) throw new NotFoundError('attachment', id);
    await this.store.remove([row.stored_name]);
  }

  /**
   * Files of these tasks, to remove once they are deleted. Called inside the deleting
   * transaction, after the tasks are locked, so no upload can slip in between.
   */
  async storedNamesOfTasks(db: Database, taskIds: readonly number[]): Promise<string[]> {
    if (taskIds.length === 0) return [];
    const rows = await db
      .select({ stored_name: attachmentTable.stored_name })
      .from(attachmentTable)
      .where(inArray(attachmentTable.task_id, [...taskIds]));
    return rows.map((row) => row.stored_name);
  }

  removeStoredFiles(storedNames: readonly string[]): Promise<void> {
    return this.store.remove(storedNames);
  }

  /** Removes files left without a row by a crash; run at start. */
  sweepOrphans(): Promise<number> {
    return this.store.sweep(async (storedName) => {
      const [row] = await this.db
        .select({ id: attachmentTable.id })
        .from(attachmentTable)
        .where(eq(attachmentTable.stored_name, storedName));
      return row !== undefined;
    });
  }
}
