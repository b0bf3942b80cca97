import { bigint, index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { idColumn, timestamps } from '../db/columns.js';
import { taskTable } from '../tasks/task.sql.js';

export const attachmentTable = pgTable(
  'task_attachments',
  {
    id: idColumn(),
    task_id: integer('task_id')
      .notNull()
      .references(() => taskTable.id, { onDelete: 'cascade' }),
    /** The name the client gave; metadata only, never used as a path. */
    file_name: text('file_name').notNull(),
    content_type: text('content_type').notNull(),
    size_bytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    /** A generated name inside the data dir's attachments folder. */
    stored_name: text('stored_name').notNull(),
    /** What a vision model saw in the image, kept so it is asked once per model. */
    description: text('description'),
    description_model: text('description_model'),
    ...timestamps,
  },
  (table) => [index('task_attachment_task_idx').on(table.task_id, table.id)],
);

export type AttachmentRow = typeof attachmentTable.$inferSelect;
