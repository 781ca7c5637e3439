import { sql } from 'drizzle-orm';
import { check, index, pgTable, primaryKey, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './users.schema';

/** `blocker_id` has blocked `blocked_id`. Either direction keeps the pair apart. */
export const blocks = pgTable(
  'blocks',
  {
    blockerId: uuid('blocker_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    blockedId: uuid('blocked_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    // Millisecond precision so a JS Date in a cursor round-trips exactly.
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 })
      .notNull()
      .defaultNow(),
  },
  (table) => [
    primaryKey({ name: 'blocks_pkey', columns: [table.blockerId, table.blockedId] }),
    check('blocks_not_self_check', sql`${table.blockerId} <> ${table.blockedId}`),
    index('blocks_blocker_created_idx').on(table.blockerId, table.createdAt, table.blockedId),
    index('blocks_blocked_id_idx').on(table.blockedId),
  ],
);

export type BlockRow = typeof blocks.$inferSelect;
