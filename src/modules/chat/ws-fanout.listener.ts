import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { SESSION_REVOKED, type SessionRevokedEvent } from '../../common/events/session-events';
import { ChatEvent, type ChatEventMap } from './chat.events';
import { ConversationsService } from './conversations.service';
import { WsServer } from './ws-server';

/** Per-recipient views of an updated conversation built at a time (each is a few queries). */
const VIEW_CONCURRENCY = 8;

/**
 * Turns the chat services' after-commit domain events into socket events for each recipient's
 * `user:<id>` room (every replica, through the adapter). Recipients are computed by the services
 * from the current members, so a removed member stops receiving a conversation's events.
 */
@Injectable()
export class WsFanoutListener {
  private readonly logger = new Logger('WsFanout');

  constructor(
    private readonly ws: WsServer,
    private readonly conversations: ConversationsService,
  ) {}

  @OnEvent(ChatEvent.MessageCreated)
  messageCreated({ recipients, payload }: ChatEventMap[typeof ChatEvent.MessageCreated]): void {
    this.ws.toUsers(recipients, 'message:new', payload);
  }

  @OnEvent(ChatEvent.MessageUpdated)
  messageUpdated({ recipients, payload }: ChatEventMap[typeof ChatEvent.MessageUpdated]): void {
    this.ws.toUsers(recipients, 'message:updated', payload);
  }

  @OnEvent(ChatEvent.MessageDeleted)
  messageDeleted({ recipients, payload }: ChatEventMap[typeof ChatEvent.MessageDeleted]): void {
    this.ws.toUsers(recipients, 'message:deleted', payload);
  }

  @OnEvent(ChatEvent.ReactionUpdated)
  reactionUpdated({ recipients, payload }: ChatEventMap[typeof ChatEvent.ReactionUpdated]): void {
    this.ws.toUsers(recipients, 'reaction:updated', payload);
  }

  @OnEvent(ChatEvent.ReceiptRead)
  receiptRead({ recipients, payload }: ChatEventMap[typeof ChatEvent.ReceiptRead]): void {
    this.ws.toUsers(recipients, 'receipt:read', payload);
  }

  @OnEvent(ChatEvent.MemberAdded)
  memberAdded({ recipients, payload }: ChatEventMap[typeof ChatEvent.MemberAdded]): void {
    this.ws.toUsers(recipients, 'member:added', payload);
  }

  @OnEvent(ChatEvent.MemberRemoved)
  memberRemoved({ recipients, payload }: ChatEventMap[typeof ChatEvent.MemberRemoved]): void {
    this.ws.toUsers(recipients, 'member:removed', payload);
  }

  /**
   * Each recipient gets their own view (lastReadSeq and unreadCount differ). One who left since
   * the event was published gets nothing (the read answers CONVERSATION_NOT_FOUND).
   */
  @OnEvent(ChatEvent.ConversationUpdated)
  async conversationUpdated({
    conversationId,
    recipients,
  }: ChatEventMap[typeof ChatEvent.ConversationUpdated]): Promise<void> {
    const queue = [...new Set(recipients)];
    const worker = async (): Promise<void> => {
      for (let userId = queue.shift(); userId !== undefined; userId = queue.shift()) {
        try {
          const view = await this.conversations.get(userId, conversationId);
          this.ws.toUsers([userId], 'conversation:updated', view);
        } catch (error) {
          this.logger.debug(
            `no conversation:updated for a recipient: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(VIEW_CONCURRENCY, queue.length) }, worker));
  }

  /** Every socket of the session, on every replica: `session:revoked`, then disconnected. */
  @OnEvent(SESSION_REVOKED)
  sessionRevoked(event: SessionRevokedEvent): void {
    this.ws.revokeSession(event.sessionId);
  }
}
