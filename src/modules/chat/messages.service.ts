import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { AppException } from '../../common/errors/app.exception';
import { Page } from '../../common/http/page';
import { ChatEventsPublisher } from './chat-events.publisher';
import { ChatMedia } from './chat-media';
import { conversationNotFound, mediaAlreadyAttached, messageNotFound } from './chat.errors';
import { ChatEvent } from './chat.events';
import { toMessage } from './chat.mapper';
import {
  invalid,
  isClientMessageId,
  isUuid,
  MAX_ATTACHMENTS,
  MESSAGES_PAGE_DEFAULT,
  MESSAGES_PAGE_MAX,
  normaliseBody,
  parseSeq,
} from './chat.rules';
import type { MessageDto } from './chat.types';
import { ConversationsService } from './conversations.service';
import type { MessageView } from './message-view.query';
import {
  DuplicateClientMessageId,
  MediaAlreadyAttached,
  MessagesRepository,
  type HistoryWindow,
} from './messages.repository';
import { SeqOrder } from './seq-order';

export interface SendMessageInput {
  conversationId: string;
  clientMessageId: string;
  body?: string | null;
  replyToId?: string | null;
  attachmentIds?: string[] | null;
}

export interface HistoryQuery {
  before?: string | number;
  after?: string | number;
  limit?: string | number;
}

/** Sending (idempotent, gapless seq), editing, deleting and reading messages. */
@Injectable()
export class MessagesService {
  /** This process's new messages are announced in seq order per conversation. */
  private readonly order = new SeqOrder();

  constructor(
    private readonly messages: MessagesRepository,
    private readonly conversations: ConversationsService,
    private readonly events: ChatEventsPublisher,
    private readonly media: ChatMedia,
  ) {}

  /**
   * Stores a message, or, when this sender already used `clientMessageId`, returns the stored one
   * with `created: false` (a retry). MessageCreated goes to the members only for a new message,
   * after its transaction committed. See README.md "Idempotency" for the concurrent-retry case.
   */
  async send(
    userId: string,
    input: SendMessageInput,
  ): Promise<{ message: MessageDto; created: boolean }> {
    if (!isClientMessageId(input.clientMessageId)) {
      throw invalid(
        'clientMessageId',
        'clientMessageId must be 1-64 characters of A-Z a-z 0-9 _ -',
      );
    }
    const attachmentIds = attachmentIdsOf(input.attachmentIds);
    const body = bodyOf(input.body, attachmentIds.length > 0);
    const replyToId = input.replyToId ?? null;
    if (replyToId !== null && !isUuid(replyToId)) {
      throw invalid('replyToId', 'replyToId must be a message id');
    }
    if (!isUuid(input.conversationId) || !isUuid(userId)) throw conversationNotFound();
    // One statement: membership, an earlier send with this clientMessageId, a block either way.
    const context = await this.messages.sendContext(
      userId,
      input.conversationId.toLowerCase(),
      input.clientMessageId,
    );
    if (!context) throw conversationNotFound();
    const conversationId = context.conversationId;
    if (context.existing) {
      return { message: await this.asRetry(context.existing, conversationId), created: false };
    }

    if (attachmentIds.length > 0) {
      await this.media.assertAttachable(userId, attachmentIds);
      // A friendly answer before the write; the unique index on media_id settles a race.
      if ((await this.messages.attachedAmong(attachmentIds)).length > 0) {
        throw mediaAlreadyAttached();
      }
    }
    if (replyToId && !(await this.messages.existsInConversation(conversationId, replyToId))) {
      throw invalid('replyToId', 'replyToId must be a message of this conversation');
    }
    // In a direct conversation, a block either way stops new messages both ways.
    if (context.blocked) throw new AppException('USER_BLOCKED', 'You cannot message this user');

    // This send's place in the publish order, taken before the write (see SeqOrder).
    const ticket = this.order.begin(conversationId);
    try {
      let stored: Awaited<ReturnType<MessagesRepository['insertNext']>>;
      try {
        stored = await this.messages.insertNext({
          id: uuidv7(),
          conversationId,
          senderId: userId,
          clientMessageId: input.clientMessageId,
          body,
          replyToId: replyToId?.toLowerCase() ?? null,
          attachmentIds,
        });
      } catch (error) {
        if (error instanceof MediaAlreadyAttached) throw mediaAlreadyAttached();
        if (!(error instanceof DuplicateClientMessageId)) throw error;
        // A concurrent identical send won; its write committed, ours left no trace.
        ticket.release();
        const winner = await this.messages.findByClientId(userId, input.clientMessageId);
        if (!winner) throw error;
        return { message: await this.asRetry(winner, conversationId), created: false };
      }
      if (!stored) throw conversationNotFound();
      ticket.resolve(stored.message.seq);
      const message = toMessage(stored.message, await this.media.resolverFor([stored.message]));
      await ticket.ready();
      this.events.publish(ChatEvent.MessageCreated, {
        recipients: stored.recipients,
        payload: message,
      });
      return { message, created: true };
    } finally {
      ticket.release();
    }
  }

  /** Replaces the body of one's own live message. */
  async edit(
    userId: string,
    conversationId: string,
    messageId: string,
    body: unknown,
  ): Promise<MessageDto> {
    const text = normaliseBody(body);
    await this.conversations.assertMember(userId, conversationId);
    const message = await this.find(conversationId, messageId);
    if (message.senderId !== userId) {
      throw new AppException('NOT_MESSAGE_SENDER', 'Only the sender may edit a message');
    }
    if (
      message.deletedAt ||
      !(await this.messages.editBody(message.conversationId, message.id, text))
    ) {
      throw new AppException('MESSAGE_DELETED', 'This message was deleted');
    }
    return this.announce(ChatEvent.MessageUpdated, await this.find(conversationId, messageId));
  }

  /**
   * Leaves a tombstone (body, attachments and reactions gone). The sender may delete their
   * message; in groups owners and admins may delete anyone's. Deleting a tombstone is a no-op.
   */
  async remove(userId: string, conversationId: string, messageId: string): Promise<MessageDto> {
    const membership = await this.conversations.membership(userId, conversationId);
    const message = await this.find(conversationId, messageId);
    const moderator = membership.type === 'group' && membership.role !== 'member';
    if (message.senderId !== userId && !moderator) {
      throw new AppException('NOT_MESSAGE_SENDER', 'Only the sender (or a group admin) may delete');
    }
    if (message.deletedAt) return toMessage(message);
    const deleted = await this.messages.tombstone(message.conversationId, message.id);
    const tombstone = await this.find(conversationId, messageId);
    return deleted ? this.announce(ChatEvent.MessageDeleted, tombstone) : toMessage(tombstone);
  }

  /**
   * A page of history. `before`: older than that seq, newest first; `after`: newer than that seq,
   * oldest first (catch-up); neither: the newest page. `nextCursor` is the seq to pass as the same
   * parameter for the next page, or null at the end.
   */
  async history(
    userId: string,
    conversationId: string,
    query: HistoryQuery,
  ): Promise<Page<MessageDto>> {
    if (query.before !== undefined && query.after !== undefined) {
      throw invalid('before', 'give either before or after, not both');
    }
    const limit =
      query.limit === undefined ? MESSAGES_PAGE_DEFAULT : parseSeq(query.limit, 'limit', 1);
    if (limit > MESSAGES_PAGE_MAX) {
      throw invalid('limit', `limit must be between 1 and ${MESSAGES_PAGE_MAX}`);
    }
    const window: HistoryWindow =
      query.before !== undefined
        ? { kind: 'before', seq: parseSeq(query.before, 'before', 1) }
        : query.after !== undefined
          ? { kind: 'after', seq: parseSeq(query.after, 'after') }
          : { kind: 'latest' };
    const membership = await this.conversations.membership(userId, conversationId);
    const rows = await this.messages.history(membership.conversationId, window, limit + 1);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    const nextCursor = rows.length > limit && last ? String(last.seq) : null;
    const resolve = await this.media.resolverFor(items);
    return new Page(
      items.map((row) => toMessage(row, resolve)),
      nextCursor,
    );
  }

  /** The stored message for a retried send; a key reused for another conversation is a conflict. */
  private async asRetry(existing: MessageView, conversationId: string): Promise<MessageDto> {
    if (existing.conversationId !== conversationId) {
      throw new AppException(
        'CLIENT_MESSAGE_ID_CONFLICT',
        'This clientMessageId was already used for a message in another conversation',
      );
    }
    return toMessage(existing, await this.media.resolverFor([existing]));
  }

  private async find(conversationId: string, messageId: string): Promise<MessageView> {
    if (!isUuid(messageId)) throw messageNotFound();
    const message = await this.messages.findInConversation(
      conversationId.toLowerCase(),
      messageId.toLowerCase(),
    );
    if (!message) throw messageNotFound();
    return message;
  }

  private async announce(
    event: typeof ChatEvent.MessageUpdated | typeof ChatEvent.MessageDeleted,
    view: MessageView,
  ): Promise<MessageDto> {
    const message = toMessage(view, await this.media.resolverFor([view]));
    this.events.publish(event, {
      recipients: await this.conversations.memberIds(view.conversationId),
      payload: message,
    });
    return message;
  }
}

/** Attachment ids, validated and lower-cased: UUIDs, at most MAX_ATTACHMENTS, none repeated. */
function attachmentIdsOf(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.length > MAX_ATTACHMENTS || !raw.every(isUuid)) {
    throw invalid(
      'attachmentIds',
      `attachmentIds must be a list of at most ${MAX_ATTACHMENTS} media ids`,
    );
  }
  const ids = raw.map((id) => id.toLowerCase());
  if (new Set(ids).size !== ids.length) {
    throw invalid('attachmentIds', 'attachmentIds must not repeat a media id');
  }
  return ids;
}

/** With attachments the body may be absent or blank (stored as null); otherwise 1–4000 characters. */
function bodyOf(raw: unknown, hasAttachments: boolean): string | null {
  if (hasAttachments) {
    if (raw === undefined || raw === null) return null;
    if (typeof raw === 'string' && raw.trim().length === 0) return null;
  }
  return normaliseBody(raw);
}
