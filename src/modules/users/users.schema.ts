import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey(),
    username: text('username').notNull(),
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    bio: text('bio').notNull().default(''),
    avatarMediaId: uuid('avatar_media_id'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [
    // Case-insensitive uniqueness without the citext extension (PGlite and PostgreSQL alike);
    // text_pattern_ops also serves `lower(username) LIKE 'prefix%'` for search.
    uniqueIndex('users_username_lower_key').using(
      'btree',
      sql`lower(${table.username}) text_pattern_ops`,
    ),
    uniqueIndex('users_email_key').on(table.email),
    index('users_created_at_idx').on(table.createdAt),
  ],
);

export type UserRow = typeof users.$inferSelect;
export type NewUserRow = typeof users.$inferInsert;

/**
 * The columns a profile is built from, selected explicitly wherever a user is joined in, so a
 * password hash or an email never even leaves the database for someone else's profile.
 */
export const profileColumns = {
  id: users.id,
  username: users.username,
  bio: users.bio,
  avatarMediaId: users.avatarMediaId,
  createdAt: users.createdAt,
  lastSeenAt: users.lastSeenAt,
};

export type ProfileRow = Pick<
  UserRow,
  'id' | 'username' | 'bio' | 'avatarMediaId' | 'createdAt' | 'lastSeenAt'
>;
