import { sql } from 'drizzle-orm';
import {
  check,
  index,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from './users.schema';

export const FRIEND_REQUEST_STATUSES = ['pending', 'accepted', 'declined', 'cancelled'] as const;
export type FriendRequestStatus = (typeof FRIEND_REQUEST_STATUSES)[number];

export const friendRequests = pgTable(
  'friend_requests',
  {
    id: uuid('id').primaryKey(),
    fromUserId: uuid('from_user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    toUserId: uuid('to_user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status').$type<FriendRequestStatus>().notNull().default('pending'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 })
      .notNull()
      .defaultNow(),
    respondedAt: timestamp('responded_at', { withTimezone: true, mode: 'date', precision: 3 }),
  },
  (table) => [
    check(
      'friend_requests_status_check',
      sql`${table.status} in ('pending', 'accepted', 'declined', 'cancelled')`,
    ),
    check('friend_requests_not_self_check', sql`${table.fromUserId} <> ${table.toUserId}`),
    // At most one pending request per unordered pair, whoever sent it: the backstop that makes
    // two users requesting each other at the same moment end in one request, not two.
    uniqueIndex('friend_requests_pending_pair_key')
      .on(
        sql`least(${table.fromUserId}, ${table.toUserId})`,
        sql`greatest(${table.fromUserId}, ${table.toUserId})`,
      )
      .where(sql`${table.status} = 'pending'`),
    // The incoming / outgoing lists: pending only, newest first (ids are UUID v7, time-ordered).
    index('friend_requests_to_pending_idx')
      .on(table.toUserId, table.id)
      .where(sql`${table.status} = 'pending'`),
    index('friend_requests_from_pending_idx')
      .on(table.fromUserId, table.id)
      .where(sql`${table.status} = 'pending'`),
  ],
);

/**
 * One row per direction: (a, b) and (b, a) are written together. "Are a and b friends?" is one
 * primary-key lookup, and "a's friends" one index range, without a UNION over two columns.
 */
export const friendships = pgTable(
  'friendships',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    friendId: uuid('friend_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    // Millisecond precision so a JS Date in a cursor round-trips exactly.
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 })
      .notNull()
      .defaultNow(),
  },
  (table) => [
    primaryKey({ name: 'friendships_pkey', columns: [table.userId, table.friendId] }),
    check('friendships_not_self_check', sql`${table.userId} <> ${table.friendId}`),
    index('friendships_user_created_idx').on(table.userId, table.createdAt, table.friendId),
  ],
);

export type FriendRequestRow = typeof friendRequests.$inferSelect;
export type FriendshipRow = typeof friendships.$inferSelect;
