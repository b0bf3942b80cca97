import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { commentTable } from '../comments/comment.sql.js';
import { idColumn, timestamps } from '../db/columns.js';
import { projectTable } from '../projects/project.sql.js';
import { taskTable } from '../tasks/task.sql.js';
import type { TaskPriority, TaskStatus } from '../tasks/task-fields.js';
import { trackerKinds, type ExternalAttachment, type TrackerKind } from './tracker-provider.js';

const inList = (values: readonly string[]) => sql.raw(values.map((value) => `'${value}'`).join(', '));

/** A tracker account wfhub may use: the token sealed (credential-cipher), never stored in the clear. */
export const trackerCredentialTable = pgTable(
  'tracker_credentials',
  {
    id: idColumn(),
    provider: text('provider').$type<TrackerKind>().notNull(),
    name: text('name').notNull(),
    /** Who the token belongs to, as the tracker said when it was checked. */
    account: text('account').notNull(),
    /** The API's root when not the tracker's own (GitHub Enterprise, a Jira site). */
    base_url: text('base_url'),
    /** Jira's account email, sent with the token. */
    email: text('email'),
    sealed_token: text('sealed_token').notNull(),
    ...timestamps,
  },
  (table) => [check('tracker_credential_provider_check', sql`${table.provider} in (${inList(trackerKinds)})`)],
);

/** A tracker's project imported into a wfhub project. */
export const trackerMappingTable = pgTable(
  'tracker_mappings',
  {
    id: idColumn(),
    credential_id: integer('credential_id')
      .notNull()
      .references(() => trackerCredentialTable.id, { onDelete: 'cascade' }),
    external_project_id: text('external_project_id').notNull(),
    external_project_name: text('external_project_name').notNull(),
    project_id: integer('project_id')
      .notNull()
      .references(() => projectTable.id, { onDelete: 'cascade' }),
    ...timestamps,
  },
  (table) => [
    uniqueIndex('tracker_mapping_unique_idx').on(table.credential_id, table.external_project_id, table.project_id),
    index('tracker_mapping_project_idx').on(table.project_id),
  ],
);

/** What the tracker said of a task when it was last imported: an import changes only what the tracker changed since. */
export interface ImportedFields {
  title: string;
  description: string;
  status: TaskStatus;
  priority: TaskPriority;
}

/** A wfhub task imported from a tracker's task, and the state of pushing its changes back. */
export const trackerLinkTable = pgTable(
  'tracker_links',
  {
    id: idColumn(),
    mapping_id: integer('mapping_id')
      .notNull()
      .references(() => trackerMappingTable.id, { onDelete: 'cascade' }),
    task_id: integer('task_id')
      .notNull()
      .references(() => taskTable.id, { onDelete: 'cascade' }),
    external_id: text('external_id').notNull(),
    url: text('url').notNull(),
    imported: jsonb('imported').$type<ImportedFields>().notNull(),
    attachments: jsonb('attachments').$type<ExternalAttachment[]>().notNull().default([]),
    /** The status the tracker has, as far as wfhub knows: a task whose status differs is pushed. */
    remote_status: text('remote_status').$type<TaskStatus>().notNull(),
    imported_at: timestamp('imported_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    synced_at: timestamp('synced_at', { withTimezone: true, mode: 'date' }),
    /** The last push's failure, shown on the task until a push succeeds. */
    sync_error: text('sync_error'),
    sync_attempts: integer('sync_attempts').notNull().default(0),
    /** No push before this (a backoff, or the tracker's Retry-After). */
    sync_after: timestamp('sync_after', { withTimezone: true, mode: 'date' }),
    /** A process pushing this link holds it until then, so two never push the same change. */
    sync_lease_until: timestamp('sync_lease_until', { withTimezone: true, mode: 'date' }),
    ...timestamps,
  },
  (table) => [
    uniqueIndex('tracker_link_external_idx').on(table.mapping_id, table.external_id),
    uniqueIndex('tracker_link_task_idx').on(table.task_id),
  ],
);

/** A comment that is also on the tracker: imported from it, or pushed to it. */
export const trackerCommentLinkTable = pgTable(
  'tracker_comment_links',
  {
    link_id: integer('link_id')
      .notNull()
      .references(() => trackerLinkTable.id, { onDelete: 'cascade' }),
    external_id: text('external_id').notNull(),
    comment_id: integer('comment_id')
      .notNull()
      .references(() => commentTable.id, { onDelete: 'cascade' }),
    /** Written in wfhub and pushed to the tracker, rather than imported from it. */
    pushed: boolean('pushed').notNull().default(false),
  },
  (table) => [primaryKey({ columns: [table.link_id, table.external_id] }), uniqueIndex('tracker_comment_link_comment_idx').on(table.comment_id)],
);

export type TrackerCredentialRow = typeof trackerCredentialTable.$inferSelect;
export type TrackerMappingRow = typeof trackerMappingTable.$inferSelect;
export type TrackerLinkRow = typeof trackerLinkTable.$inferSelect;
