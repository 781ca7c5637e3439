import { Inject, Injectable } from '@nestjs/common';
import { and, count, eq, TransactionRollbackError } from 'drizzle-orm';
import { DATABASE, type Database } from '../../infra/database/database.types';
import { messageReactions, messages } from './chat.schema';
import { messageView, type ReactionAggregate } from './message-view.query';

export type ReactionChange =
  | { outcome: 'missing' }
  | { outcome: 'deleted' }
  | { outcome: 'limit' }
  | { outcome: 'done'; changed: boolean; reactions: ReactionAggregate[] };

/** The only class that writes message_reactions. */
@Injectable()
export class ReactionsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Sets (`on`) or clears one user's emoji on a message and returns the message's aggregated
   * reactions. The message row is read FOR SHARE, so a concurrent delete (which UPDATEs the row
   * and then clears its reactions) never leaves a reaction on a tombstone.
   */
  async toggle(input: {
    conversationId: string;
    messageId: string;
    userId: string;
    emoji: string;
    on: boolean;
    maxPerUser: number;
  }): Promise<ReactionChange> {
    return this.db
      .transaction(async (tx): Promise<ReactionChange> => {
        const [message] = await tx
          .select({ deletedAt: messages.deletedAt })
          .from(messages)
          .where(
            and(
              eq(messages.id, input.messageId),
              eq(messages.conversationId, input.conversationId),
            ),
          )
          .for('share');
        if (!message) return { outcome: 'missing' };
        if (message.deletedAt) return { outcome: 'deleted' };
        const mine = and(
          eq(messageReactions.messageId, input.messageId),
          eq(messageReactions.userId, input.userId),
        );
        let changed: boolean;
        if (input.on) {
          const [{ value: already }] = await tx
            .select({ value: count() })
            .from(messageReactions)
            .where(mine);
          const inserted = await tx
            .insert(messageReactions)
            .values({ messageId: input.messageId, userId: input.userId, emoji: input.emoji })
            .onConflictDoNothing()
            .returning({ emoji: messageReactions.emoji });
          changed = inserted.length > 0;
          if (changed && Number(already) >= input.maxPerUser) tx.rollback();
        } else {
          const removed = await tx
            .delete(messageReactions)
            .where(and(mine, eq(messageReactions.emoji, input.emoji)))
            .returning({ emoji: messageReactions.emoji });
          changed = removed.length > 0;
        }
        const [{ reactions }] = await tx
          .select({ reactions: messageView.reactions })
          .from(messages)
          .where(eq(messages.id, input.messageId));
        return { outcome: 'done', changed, reactions: reactions ?? [] };
      })
      .catch((error: unknown) => {
        // Rolled back above: the user already has the most reactions allowed on this message.
        if (error instanceof TransactionRollbackError) {
          return { outcome: 'limit' } satisfies ReactionChange;
        }
        throw error;
      });
  }
}
