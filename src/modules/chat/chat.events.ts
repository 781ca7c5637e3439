import type { ConversationDto, MessageDto, ReactionDto } from './chat.types';

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

export interface ReceiptPayload {
  conversationId: string;
  userId: string;
  seq: number;
}

export interface ReactionPayload {
  conversationId: string;
  messageId: string;
  reactions: ReactionDto[];
}

export interface MemberPayload {
  conversationId: string;
  userId: string;
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

/** Socket.IO server → client events (API.md "Socket.IO"). One source of truth for server and SDK. */
export interface ServerToClientEvents {
  'message:new': (message: MessageDto) => void;
  'message:updated': (message: MessageDto) => void;
  'message:deleted': (message: MessageDto) => void;
  'reaction:updated': (payload: ReactionPayload) => void;
  'receipt:read': (payload: ReceiptPayload) => void;
  typing: (payload: { conversationId: string; userId: string; isTyping: boolean }) => void;
  presence: (payload: {
    userId: string;
    status: 'online' | 'offline';
    lastSeenAt: string | null;
  }) => void;
  'conversation:updated': (conversation: ConversationDto) => void;
  'member:added': (payload: MemberPayload) => void;
  'member:removed': (payload: MemberPayload) => void;
  'session:revoked': (payload: { sessionId: string }) => void;
}

export type Ack<T> = (
  answer: { ok: true; data: T } | { ok: false; error: { code: string; message: string } },
) => void;

/** Socket.IO client → server events; every one takes an ack. */
export interface ClientToServerEvents {
  'message:send': (
    payload: {
      conversationId: string;
      clientMessageId: string;
      body?: string;
      replyToId?: string;
      attachmentIds?: string[];
    },
    ack: Ack<MessageDto>,
  ) => void;
  'message:read': (
    payload: { conversationId: string; seq: number },
    ack: Ack<{ lastReadSeq: number }>,
  ) => void;
  'typing:start': (payload: { conversationId: string }, ack: Ack<null>) => void;
  'typing:stop': (payload: { conversationId: string }, ack: Ack<null>) => void;
  'auth:refresh': (payload: { token: string }, ack: Ack<{ expiresAt: string }>) => void;
}
