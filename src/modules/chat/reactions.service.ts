import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { ChatEventsPublisher } from './chat-events.publisher';
import { messageNotFound } from './chat.errors';
import { ChatEvent, type ReactionPayload } from './chat.events';
import { toReactions } from './chat.mapper';
import { invalid, isEmoji, isUuid, MAX_REACTIONS_PER_USER } from './chat.rules';
import { ConversationsService } from './conversations.service';
import { ReactionsRepository } from './reactions.repository';

/**
 * Reactions: a user sets (PUT) or clears (DELETE) one emoji on a message; both are idempotent.
 * ReactionUpdated, with the message's aggregated reactions, goes out only when something changed.
 */
@Injectable()
export class ReactionsService {
  constructor(
    private readonly reactions: ReactionsRepository,
    private readonly conversations: ConversationsService,
    private readonly events: ChatEventsPublisher,
  ) {}

  async set(
    userId: string,
    conversationId: string,
    messageId: string,
    emoji: string,
    on: boolean,
  ): Promise<ReactionPayload> {
    if (!isEmoji(emoji)) throw invalid('emoji', 'emoji must be a single emoji');
    const membership = await this.conversations.membership(userId, conversationId);
    if (!isUuid(messageId)) throw messageNotFound();
    const change = await this.reactions.toggle({
      conversationId: membership.conversationId,
      messageId: messageId.toLowerCase(),
      userId,
      emoji,
      on,
      maxPerUser: MAX_REACTIONS_PER_USER,
    });
    switch (change.outcome) {
      case 'missing':
        throw messageNotFound();
      case 'deleted':
        throw new AppException('MESSAGE_DELETED', 'This message was deleted');
      case 'limit':
        throw new AppException(
          'REACTION_LIMIT_REACHED',
          `At most ${MAX_REACTIONS_PER_USER} different reactions per message`,
        );
    }
    const payload: ReactionPayload = {
      conversationId: membership.conversationId,
      messageId: messageId.toLowerCase(),
      reactions: toReactions(change.reactions),
    };
    if (change.changed) {
      this.events.publish(ChatEvent.ReactionUpdated, {
        recipients: await this.conversations.memberIds(membership.conversationId),
        payload,
      });
    }
    return payload;
  }
}
