import { Inject, Injectable } from '@nestjs/common';
import {
  and,
  asc,
  desc,
  eq,
  gt,
  inArray,
  isNull,
  lt,
  sql,
  TransactionRollbackError,
} from 'drizzle-orm';
import { DATABASE, type Database } from '../../infra/database/database.types';
import {
  conversationMembers,
  conversations,
  messageAttachments,
  messageReactions,
  messages,
} from './chat.schema';
import { uniqueViolationOf } from './db-errors';
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

export type HistoryWindow =
  { kind: 'latest' } | { kind: 'before'; seq: number } | { kind: 'after'; seq: number };

/** The only class that writes messages; every read returns the API's view of a message. */
@Injectable()
export class MessagesRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

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
   * Stores a message with the conversation's next seq, in one transaction:
   *   1. UPDATE conversations SET last_seq = last_seq + 1 … RETURNING — takes the conversation's
   *      row lock, so concurrent sends to one conversation get consecutive seqs, one at a time;
   *   2. reads the active members under that lock (the sender must be one; they are the recipients);
   *   3. INSERTs the message, its attachments, and moves the sender's read pointer to the new seq.
   * A concurrent identical send (same sender and clientMessageId) fails step 3 on the unique
   * index; the whole transaction rolls back, the seq increment with it, so no gap is left behind:
   * the caller then returns the winner's row. Returns undefined (nothing written) when the sender
   * is not an active member or the conversation is gone. `onSeq` hears the seq as soon as step 1
   * took it, before commit (the publish order, see SeqOrder); a rollback may hand it out again.
   */
  async insertNext(
    input: NewMessage,
    onSeq?: (seq: number) => void,
  ): Promise<{ message: MessageView; recipients: string[] } | undefined> {
    try {
      return await this.db.transaction(async (tx) => {
        const [bumped] = await tx
          .update(conversations)
          .set({
            lastSeq: sql`${conversations.lastSeq} + 1`,
            lastMessageAt: sql`clock_timestamp()`,
            updatedAt: sql`clock_timestamp()`,
          })
          .where(and(eq(conversations.id, input.conversationId), isNull(conversations.archivedAt)))
          .returning({ seq: conversations.lastSeq, at: conversations.lastMessageAt });
        if (!bumped) return undefined;
        onSeq?.(bumped.seq);
        const members = await tx
          .select({ userId: conversationMembers.userId })
          .from(conversationMembers)
          .where(
            and(
              eq(conversationMembers.conversationId, input.conversationId),
              isNull(conversationMembers.leftAt),
            ),
          );
        const recipients = members.map((member) => member.userId);
        // Rolling back undoes the seq increment: not a member, nothing happened.
        if (!recipients.includes(input.senderId)) tx.rollback();
        const [stored] = await tx
          .insert(messages)
          .values({
            id: input.id,
            conversationId: input.conversationId,
            seq: bumped.seq,
            senderId: input.senderId,
            clientMessageId: input.clientMessageId,
            body: input.body,
            replyToId: input.replyToId,
            createdAt: bumped.at,
          })
          .returning();
        if (input.attachmentIds.length > 0) {
          await tx.insert(messageAttachments).values(
            input.attachmentIds.map((mediaId, position) => ({
              messageId: input.id,
              mediaId,
              position,
            })),
          );
        }
        await tx
          .update(conversationMembers)
          .set({ lastReadSeq: sql`greatest(${conversationMembers.lastReadSeq}, ${bumped.seq})` })
          .where(
            and(
              eq(conversationMembers.conversationId, input.conversationId),
              eq(conversationMembers.userId, input.senderId),
            ),
          );
        const message: MessageView = {
          ...stored,
          reactions: null,
          attachmentIds: input.attachmentIds.length > 0 ? [...input.attachmentIds] : null,
        };
        return { message, recipients };
      });
    } catch (error) {
      if (error instanceof TransactionRollbackError) return undefined;
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
