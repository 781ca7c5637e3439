import type { MemberPayload, ReactionPayload, ReceiptPayload } from '../../contract/events';
import type { MessageDto } from './chat.types';

/**
 * Domain events the chat services emit in-process (@nestjs/event-emitter) AFTER their transaction
 * commits. The gateway listens and fans each one out to the `user:<id>` room of every recipient
 * through the Redis adapter, so it reaches sockets on every replica. `recipients` are user ids.
 */
export const ChatEvent = {
  MessageCreated: 'chat.message.created',
  MessageUpdated: 'chat.message.updated',
  MessageDeleted: 'chat.message.deleted',
  ReactionUpdated: 'chat.reaction.updated',
  ReceiptRead: 'chat.receipt.read',
  ConversationUpdated: 'chat.conversation.updated',
  MemberAdded: 'chat.member.added',
  MemberRemoved: 'chat.member.removed',
} as const;

export interface Fanout<T> {
  recipients: string[];
  payload: T;
}

export interface ChatEventMap {
  [ChatEvent.MessageCreated]: Fanout<MessageDto>;
  [ChatEvent.MessageUpdated]: Fanout<MessageDto>;
  [ChatEvent.MessageDeleted]: Fanout<MessageDto>;
  [ChatEvent.ReactionUpdated]: Fanout<ReactionPayload>;
  [ChatEvent.ReceiptRead]: Fanout<ReceiptPayload>;
  /** Recipients get their own view (unread counts differ), so the payload is per recipient. */
  [ChatEvent.ConversationUpdated]: { conversationId: string; recipients: string[] };
  [ChatEvent.MemberAdded]: Fanout<MemberPayload>;
  [ChatEvent.MemberRemoved]: Fanout<MemberPayload>;
}

/** The Socket.IO event maps live in src/contract (shared with the SDK); re-exported for the server. */
export type {
  Ack,
  ClientToServerEvents,
  MemberPayload,
  ReactionPayload,
  ReceiptPayload,
  ServerToClientEvents,
} from '../../contract/events';
