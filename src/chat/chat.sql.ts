import { index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { idColumn, timestamps } from '../db/columns.js';
import { projectTable } from '../projects/project.sql.js';

/** A conversation with the agent about a project, kept so it can be continued. */
export const conversationTable = pgTable(
  'chat_conversations',
  {
    id: idColumn(),
    project_id: integer('project_id')
      .notNull()
      .references(() => projectTable.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    ...timestamps,
  },
  (table) => [index('chat_conversation_project_idx').on(table.project_id, table.id)],
);

/** One turn of a conversation: what the user said (and showed), or what the agent answered and did. */
export const chatMessageTable = pgTable(
  'chat_messages',
  {
    id: idColumn(),
    conversation_id: integer('conversation_id')
      .notNull()
      .references(() => conversationTable.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['user', 'assistant'] }).notNull(),
    content: text('content').notNull(),
    /** The user's images as the vision model described them (the images themselves are not kept). */
    images: jsonb('images').$type<{ name: string; description: string; model: string }[]>().notNull().default([]),
    /** The agent's turn: how it ended, with which model, what it changed and what it cost. */
    status: text('status'),
    model: text('model'),
    files_changed: jsonb('files_changed').$type<string[]>().notNull().default([]),
    usage: jsonb('usage').$type<Record<string, number>>(),
    ...timestamps,
  },
  (table) => [index('chat_message_conversation_idx').on(table.conversation_id, table.id)],
);

export type ConversationRow = typeof conversationTable.$inferSelect;
export type ChatMessageRow = typeof chatMessageTable.$inferSelect;
