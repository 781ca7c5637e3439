import { Inject, Injectable } from '@nestjs/common';
import { and, asc, type Column, desc, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { DATABASE, type Database } from '../../infra/database/database.types';
import { blockedEitherCondition } from '../users/block-probe';
import {
  conversationMembers,
  conversations,
  messageAttachments,
  messageReactions,
  messages,
} from './chat.schema';
import { sqlStateOf, uniqueViolationOf } from './db-errors';
import { messageView, type MessageView } from './message-view.query';

export interface NewMessage {
  id: string;
  conversationId: string;
  senderId: string;
  clientMessageId: string;
  body: string | null;
  replyToId: string | null;
  attachmentIds: readonly string[];
}

/** Another send with the same (sender, clientMessageId) committed first; nothing was written. */
export class DuplicateClientMessageId extends Error {
  constructor() {
    super('duplicate client message id');
  }
}

/** One of the media ids is attached to another message already; nothing was written. */
export class MediaAlreadyAttached extends Error {
  constructor() {
    super('media already attached to a message');
  }
}

/** What a send decides on before its transaction (see MessagesRepository.sendContext). */
export interface SendContext {
  conversationId: string;
  /** Direct conversation only: either of the pair has blocked the other. */
  blocked: boolean;
  /** The message this sender already stored under the clientMessageId (a retry). */
  existing: MessageView | undefined;
}

export type HistoryWindow =
  { kind: 'latest' } | { kind: 'before'; seq: number } | { kind: 'after'; seq: number };

/** The only class that writes messages; every read returns the API's view of a message. */
@Injectable()
export class MessagesRepository {
  private readonly sendMessage: PreparedCall<StoredRow>;

  constructor(@Inject(DATABASE) private readonly db: Database) {
    this.sendMessage = sendMessageCall();
  }

  async findByClientId(
    senderId: string,
    clientMessageId: string,
  ): Promise<MessageView | undefined> {
    const [row] = await this.db
      .select(messageView)
      .from(messages)
      .where(and(eq(messages.senderId, senderId), eq(messages.clientMessageId, clientMessageId)))
      .limit(1);
    return row;
  }

  async findInConversation(
    conversationId: string,
    messageId: string,
  ): Promise<MessageView | undefined> {
    const [row] = await this.db
      .select(messageView)
      .from(messages)
      .where(and(eq(messages.id, messageId), eq(messages.conversationId, conversationId)))
      .limit(1);
    return row;
  }

  async existsInConversation(conversationId: string, messageId: string): Promise<boolean> {
    const [row] = await this.db
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.id, messageId), eq(messages.conversationId, conversationId)))
      .limit(1);
    return row !== undefined;
  }

  /** Those of `mediaIds` attached to some message already. */
  async attachedAmong(mediaIds: readonly string[]): Promise<string[]> {
    if (mediaIds.length === 0) return [];
    const rows = await this.db
      .select({ mediaId: messageAttachments.mediaId })
      .from(messageAttachments)
      .where(inArray(messageAttachments.mediaId, [...mediaIds]));
    return rows.map((row) => row.mediaId);
  }

  /**
   * Whether `userId` is a current member of a conversation holding a live message that carries
   * `mediaId` (a tombstone has no attachments left). One indexed probe: media_id is unique.
   */
  async memberSeesAttachment(userId: string, mediaId: string): Promise<boolean> {
    const [row] = await this.db
      .select({ one: sql<number>`1` })
      .from(messageAttachments)
      .innerJoin(
        messages,
        and(eq(messages.id, messageAttachments.messageId), isNull(messages.deletedAt)),
      )
      .innerJoin(
        conversationMembers,
        and(
          eq(conversationMembers.conversationId, messages.conversationId),
          eq(conversationMembers.userId, userId),
          isNull(conversationMembers.leftAt),
        ),
      )
      .where(eq(messageAttachments.mediaId, mediaId))
      .limit(1);
    return row !== undefined;
  }

  /**
   * Everything a send decides on before its transaction, in one statement (prepared once): the
   * sender's active membership (no row when not a member), the message already stored under
   * (sender, clientMessageId) if any, and, for a direct conversation, whether either of the pair
   * has blocked the other (the users module's condition, two primary-key probes), so a send
   * costs one round trip here instead of three.
   */
  async sendContext(
    senderId: string,
    conversationId: string,
    clientMessageId: string,
  ): Promise<SendContext | undefined> {
    this.sendContextQuery ??= this.prepareSendContext();
    const [row] = await this.sendContextQuery.execute({
      senderId,
      conversationId,
      clientMessageId,
    });
    if (!row) return undefined;
    const { existing, ...context } = row;
    return { ...context, existing: existing?.id ? existing : undefined };
  }

  private sendContextQuery?: ReturnType<MessagesRepository['prepareSendContext']>;

  private prepareSendContext() {
    const senderId = sql.placeholder('senderId');
    const peer = sql`(case when split_part(${conversations.directKey}, ':', 1)::uuid = ${senderId}::uuid
      then split_part(${conversations.directKey}, ':', 2) else split_part(${conversations.directKey}, ':', 1) end)::uuid`;
    return this.db
      .select({
        conversationId: conversations.id,
        blocked: sql<boolean>`(${conversations.type} = 'direct' and ${blockedEitherCondition(sql`${senderId}::uuid`, peer)})`,
        existing: messageView,
      })
      .from(conversationMembers)
      .innerJoin(conversations, eq(conversations.id, conversationMembers.conversationId))
      .leftJoin(
        messages,
        and(
          eq(messages.senderId, senderId),
          eq(messages.clientMessageId, sql.placeholder('clientMessageId')),
        ),
      )
      .where(
        and(
          eq(conversationMembers.conversationId, sql.placeholder('conversationId')),
          eq(conversationMembers.userId, senderId),
          isNull(conversationMembers.leftAt),
        ),
      )
      .limit(1)
      .prepare('messages_send_context');
  }

  /**
   * Stores a message with the conversation's next seq in one round trip, `chat_send_message`
   * (migration 0005), auto-committed:
   *   1. UPDATE conversations SET last_seq = last_seq + 1 … RETURNING — takes the conversation's
   *      row lock, so concurrent sends to one conversation get consecutive seqs, one at a time;
   *   2. reads the active members with a snapshot taken after the lock (the recipients; the
   *      sender must be one, else the function raises and the increment is undone);
   *   3. INSERTs the message and its attachments and moves the sender's read pointer.
   * A concurrent identical send (same sender and clientMessageId) fails step 3 on the unique
   * index; the statement aborts, the seq increment with it, so no gap is left behind: the caller
   * then returns the winner's row. Returns undefined (nothing written) when the sender is not an
   * active member or the conversation is gone or archived.
   */
  async insertNext(
    input: NewMessage,
  ): Promise<{ message: MessageView; recipients: string[] } | undefined> {
    try {
      const [stored] = await this.sendMessage.execute(this.db, {
        id: input.id,
        conversationId: input.conversationId,
        senderId: input.senderId,
        clientMessageId: input.clientMessageId,
        body: input.body,
        replyToId: input.replyToId,
        attachmentIds: [...input.attachmentIds],
      });
      if (!stored) return undefined;
      const { recipients, ...row } = stored;
      const message: MessageView = {
        ...row,
        reactions: null,
        attachmentIds: input.attachmentIds.length > 0 ? [...input.attachmentIds] : null,
      };
      return { message, recipients };
    } catch (error) {
      if (sqlStateOf(error) === NOT_A_MEMBER) return undefined;
      const constraint = uniqueViolationOf(error);
      if (constraint === 'messages_sender_client_message_id_key') {
        throw new DuplicateClientMessageId();
      }
      if (constraint === 'message_attachments_media_id_key') throw new MediaAlreadyAttached();
      throw error;
    }
  }

  /** `limit` rows of the window: newest first for latest/before, oldest first for after. */
  async history(
    conversationId: string,
    window: HistoryWindow,
    limit: number,
  ): Promise<MessageView[]> {
    const inConversation = eq(messages.conversationId, conversationId);
    const query = this.db.select(messageView).from(messages);
    switch (window.kind) {
      case 'latest':
        return query.where(inConversation).orderBy(desc(messages.seq)).limit(limit);
      case 'before':
        return query
          .where(and(inConversation, lt(messages.seq, window.seq)))
          .orderBy(desc(messages.seq))
          .limit(limit);
      case 'after':
        return query
          .where(and(inConversation, gt(messages.seq, window.seq)))
          .orderBy(asc(messages.seq))
          .limit(limit);
    }
  }

  /** Replaces the body of a live (not deleted) message; false when it is deleted or gone. */
  async editBody(conversationId: string, messageId: string, body: string): Promise<boolean> {
    const rows = await this.db
      .update(messages)
      .set({ body, editedAt: sql`now()` })
      .where(
        and(
          eq(messages.id, messageId),
          eq(messages.conversationId, conversationId),
          isNull(messages.deletedAt),
        ),
      )
      .returning({ id: messages.id });
    return rows.length > 0;
  }

  /**
   * Turns a message into a tombstone: body gone, attachments and reactions removed, deleted_at
   * set. The UPDATE locks the row first, so a concurrent reaction (which reads the row FOR SHARE)
   * either lands before and is removed here, or sees the tombstone and is refused.
   */
  async tombstone(conversationId: string, messageId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rows = await tx
        .update(messages)
        .set({ body: null, deletedAt: sql`now()` })
        .where(
          and(
            eq(messages.id, messageId),
            eq(messages.conversationId, conversationId),
            isNull(messages.deletedAt),
          ),
        )
        .returning({ id: messages.id });
      if (rows.length === 0) return false;
      await tx.delete(messageReactions).where(eq(messageReactions.messageId, messageId));
      await tx.delete(messageAttachments).where(eq(messageAttachments.messageId, messageId));
      return true;
    });
  }
}

/** SQLSTATE that chat_send_message raises when the sender is not an active member. */
const NOT_A_MEMBER = 'BC001';

/**
 * A statement built once and run by name: a prepared statement is parsed once per connection, and
 * drizzle's query building (a tenth of a busy server's CPU on this path) happens once. Rows are
 * decoded by hand with the columns' own mappers.
 */
class PreparedCall<Row> {
  constructor(
    private readonly name: string,
    private readonly query: { sql: string; params: unknown[] },
    private readonly decode: (row: unknown[]) => Row,
  ) {}

  execute(db: Database, values: Record<string, unknown>): Promise<Row[]> {
    return db._.session
      .prepareQuery<{ execute: Row[]; all: unknown; values: unknown }>(
        this.query,
        undefined,
        this.name,
        true,
        (rows) => rows.map(this.decode),
      )
      .execute(values);
  }
}

/** A timestamp as its column reads it (drivers hand over text, or a Date); null stays null. */
function dateOf(column: Column, value: unknown): Date | null {
  return value === null || value === undefined ? null : (column.mapFromDriverValue(value) as Date);
}

type StoredRow = Omit<MessageView, 'reactions' | 'attachmentIds'> & { recipients: string[] };

/**
 * The whole write of a send, one round trip: `chat_send_message` (migration 0005) takes the next
 * seq under the conversation's row lock, reads the members after it, inserts the message and its
 * attachments (in the order given) and moves the sender's read pointer, auto-committed.
 */
function sendMessageCall(): PreparedCall<StoredRow> {
  const p = (name: string) => sql.placeholder(name);
  const query = new PgDialect().sqlToQuery(
    sql`select * from chat_send_message(${p('id')}::uuid, ${p('conversationId')}::uuid,
          ${p('senderId')}::uuid, ${p('clientMessageId')}::text, ${p('body')}::text,
          ${p('replyToId')}::uuid, ${p('attachmentIds')}::uuid[])`,
  );
  return new PreparedCall('chat_send_message', query, (row) => ({
    id: row[0] as string,
    conversationId: row[1] as string,
    seq: Number(row[2]), // int8: text from node-postgres, a number from PGlite
    senderId: row[3] as string,
    clientMessageId: row[4] as string,
    body: row[5] as string | null,
    replyToId: row[6] as string | null,
    editedAt: dateOf(messages.editedAt, row[7]),
    deletedAt: dateOf(messages.deletedAt, row[8]),
    createdAt: messages.createdAt.mapFromDriverValue(row[9]) as Date,
    recipients: (typeof row[10] === 'string' ? JSON.parse(row[10]) : row[10]) as string[],
  }));
}
