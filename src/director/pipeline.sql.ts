import { integer, jsonb, pgTable } from 'drizzle-orm/pg-core';
import { timestamps } from '../db/columns.js';
import { projectTable } from '../projects/project.sql.js';

/** A project's pipeline: the roles its tasks on autopilot go through, in order. No row: the default. */
export const pipelineTable = pgTable('project_pipelines', {
  project_id: integer('project_id')
    .primaryKey()
    .references(() => projectTable.id, { onDelete: 'cascade' }),
  /** Role names, in order (e.g. ["dev", "qa", "documentation"]). */
  nodes: jsonb('nodes').$type<string[]>().notNull(),
  /** Rounds through dev a task gets before a failing gate blocks it. */
  max_attempts: integer('max_attempts').notNull().default(3),
  /** How long one acceptance check may run. */
  check_timeout_seconds: integer('check_timeout_seconds').notNull().default(300),
  ...timestamps,
});

export type PipelineRow = typeof pipelineTable.$inferSelect;
