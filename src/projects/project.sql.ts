import { sql } from 'drizzle-orm';
import { jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { idColumn, timestamps } from '../db/columns.js';

export const projectTable = pgTable(
  'projects',
  {
    id: idColumn(),
    name: text('name').notNull(),
    /** Relative to the workspaces dir, normalised (no `..`, no leading slash). */
    workspace_path: text('workspace_path').notNull(),
    environment: jsonb('environment').$type<Record<string, unknown>>().notNull().default({}),
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    /** The workspaces dir holding the folder (its id): runs go to the workers that can see it. */
    workspaces_id: text('workspaces_id'),
    ...timestamps,
  },
  (table) => [
    uniqueIndex('project_name_unique_idx').on(sql`lower(${table.name})`),
    // Two projects in one folder would have their agents editing each other's files.
    uniqueIndex('project_workspace_unique_idx').on(table.workspace_path),
  ],
);

export type ProjectRow = typeof projectTable.$inferSelect;
