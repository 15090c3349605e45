import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** The example's users: `update_user_status` changes `status` and `updated_at`. */
export const users = pgTable('users', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  email: text('email').notNull().unique(),
  status: text('status').notNull().default('active'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** What happened to a user, kept for a while: `cleanup_old_records` deletes old rows. */
export const userEvents = pgTable(
  'user_events',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    detail: text('detail'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('user_events_created_at_idx').on(table.createdAt)],
);

export type User = typeof users.$inferSelect;
export type UserEvent = typeof userEvents.$inferSelect;
