import { sql } from 'drizzle-orm';
import { messageAttachments, messageReactions, messages } from './chat.schema';

/** One reaction emoji of a message, aggregated in SQL. */
export interface ReactionAggregate {
  emoji: string;
  count: number;
  userIds: string[];
}

/**
 * The columns of a message as the API shows it, reactions and attachment ids aggregated by
 * correlated subqueries: a page of messages is one statement, whatever its size (no N+1).
 * Used by every repository query that returns messages, so they all read the same shape.
 */
export const messageView = {
  id: messages.id,
  conversationId: messages.conversationId,
  seq: messages.seq,
  senderId: messages.senderId,
  clientMessageId: messages.clientMessageId,
  body: messages.body,
  replyToId: messages.replyToId,
  editedAt: messages.editedAt,
  deletedAt: messages.deletedAt,
  createdAt: messages.createdAt,
  // Emojis in the order they were first used; users in the order they reacted.
  reactions: sql<ReactionAggregate[] | null>`(
    select json_agg(json_build_object('emoji', r.emoji, 'count', r.n, 'userIds', r.user_ids)
                    order by r.first_at, r.emoji)
    from (
      select ${messageReactions.emoji} as emoji, count(*)::int as n,
             json_agg(${messageReactions.userId} order by ${messageReactions.createdAt}, ${messageReactions.userId}) as user_ids,
             min(${messageReactions.createdAt}) as first_at
      from ${messageReactions}
      where ${messageReactions.messageId} = ${messages.id}
      group by ${messageReactions.emoji}
    ) r
  )`,
  attachmentIds: sql<string[] | null>`(
    select json_agg(${messageAttachments.mediaId} order by ${messageAttachments.position})
    from ${messageAttachments}
    where ${messageAttachments.messageId} = ${messages.id}
  )`,
};

export interface MessageView {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientMessageId: string;
  body: string | null;
  replyToId: string | null;
  editedAt: Date | null;
  deletedAt: Date | null;
  createdAt: Date;
  reactions: ReactionAggregate[] | null;
  attachmentIds: string[] | null;
}
