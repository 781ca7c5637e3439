import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import type { ConversationType, MemberRole } from './chat.types';

/**
 * The users table as far as chat's foreign keys need it: its name and primary key. Chat never
 * queries it (profiles come from UsersService); this stub only lets the database enforce that
 * members, senders and reactors are real users without importing the users module's schema.
 * Not exported, so drizzle-kit does not take it for a table of its own.
 */
const users = pgTable('users', { id: uuid('id').primaryKey() });

// Millisecond precision everywhere: a JS Date (and so an opaque cursor) round-trips exactly.
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });

export const conversations = pgTable(
  'conversations',
  {
    id: uuid('id').primaryKey(),
    type: text('type').$type<ConversationType>().notNull(),
    name: text('name'),
    avatarMediaId: uuid('avatar_media_id'),
    /** `<smaller uuid>:<larger uuid>` for a direct chat, null for a group: one direct chat per pair. */
    directKey: text('direct_key'),
    /** The seq of the newest message; the next message gets last_seq + 1 (see README "seq"). */
    lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(0),
    /** Latest activity: creation, then every new message. The list is ordered by it. */
    lastMessageAt: at('last_message_at').notNull().defaultNow(),
    /** Set when the last member leaves a group; nobody can see it any more. */
    archivedAt: at('archived_at'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (table) => [
    check('conversations_type_check', sql`${table.type} in ('direct', 'group')`),
    check(
      'conversations_direct_key_check',
      sql`(${table.type} = 'direct') = (${table.directKey} is not null)`,
    ),
    check('conversations_last_seq_check', sql`${table.lastSeq} >= 0`),
    uniqueIndex('conversations_direct_key_key').on(table.directKey),
  ],
);

export const conversationMembers = pgTable(
  'conversation_members',
  {
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role').$type<MemberRole>().notNull().default('member'),
    lastReadSeq: bigint('last_read_seq', { mode: 'number' }).notNull().default(0),
    joinedAt: at('joined_at').notNull().defaultNow(),
    /** Rows are kept when a member leaves or is removed, so history and receipts stay consistent. */
    leftAt: at('left_at'),
  },
  (table) => [
    primaryKey({
      name: 'conversation_members_pkey',
      columns: [table.conversationId, table.userId],
    }),
    check('conversation_members_role_check', sql`${table.role} in ('owner', 'admin', 'member')`),
    check('conversation_members_last_read_seq_check', sql`${table.lastReadSeq} >= 0`),
    // "My conversations" and "everyone I share a conversation with": active memberships only.
    index('conversation_members_user_active_idx')
      .on(table.userId, table.conversationId)
      .where(sql`${table.leftAt} is null`),
  ],
);

export const messages = pgTable(
  'messages',
  {
    id: uuid('id').primaryKey(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    senderId: uuid('sender_id')
      .notNull()
      .references(() => users.id),
    clientMessageId: text('client_message_id').notNull(),
    /** Null once deleted (tombstone), or for an attachments-only message. */
    body: text('body'),
    replyToId: uuid('reply_to_id').references((): AnyPgColumn => messages.id, {
      onDelete: 'set null',
    }),
    editedAt: at('edited_at'),
    deletedAt: at('deleted_at'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (table) => [
    check('messages_seq_check', sql`${table.seq} > 0`),
    check('messages_body_length_check', sql`char_length(${table.body}) <= 4000`),
    uniqueIndex('messages_conversation_seq_key').on(table.conversationId, table.seq),
    // The idempotency key: a retried send finds the first one instead of creating a second.
    uniqueIndex('messages_sender_client_message_id_key').on(table.senderId, table.clientMessageId),
  ],
);

export const messageAttachments = pgTable(
  'message_attachments',
  {
    messageId: uuid('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    mediaId: uuid('media_id').notNull(),
    position: smallint('position').notNull(),
  },
  (table) => [
    primaryKey({ name: 'message_attachments_pkey', columns: [table.messageId, table.position] }),
    // A media item is attached to one message at most: two sends racing with the same media
    // can't both commit (the loser gets MEDIA_ALREADY_ATTACHED). Also serves the access check.
    uniqueIndex('message_attachments_media_id_key').on(table.mediaId),
  ],
);

export const messageReactions = pgTable(
  'message_reactions',
  {
    messageId: uuid('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    emoji: text('emoji').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (table) => [
    primaryKey({
      name: 'message_reactions_pkey',
      columns: [table.messageId, table.userId, table.emoji],
    }),
  ],
);

export type ConversationRow = typeof conversations.$inferSelect;
export type ConversationMemberRow = typeof conversationMembers.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
