import { integer, timestamp } from 'drizzle-orm/pg-core';

/** Columns every table shares. */
export const timestamps = {
  created_at: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updated_at: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
};

export const idColumn = () => integer('id').primaryKey().generatedAlwaysAsIdentity();
