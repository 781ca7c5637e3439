import type { ConversationDto, MessageDto, ReactionDto } from './chat';

/**
 * Socket.IO event maps (API.md "Socket.IO"): the one source of truth for the gateway, the SDK and
 * the AsyncAPI document. Types only, so browsers and Node clients import them without server code.
 */

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

export interface TypingEventPayload {
  conversationId: string;
  userId: string;
  isTyping: boolean;
}

export interface PresenceEventPayload {
  userId: string;
  status: 'online' | 'offline';
  lastSeenAt: string | null;
}

export interface SessionRevokedPayload {
  sessionId: string;
}

/** Socket.IO server → client events. */
export interface ServerToClientEvents {
  'message:new': (message: MessageDto) => void;
  'message:updated': (message: MessageDto) => void;
  'message:deleted': (message: MessageDto) => void;
  'reaction:updated': (payload: ReactionPayload) => void;
  'receipt:read': (payload: ReceiptPayload) => void;
  typing: (payload: TypingEventPayload) => void;
  presence: (payload: PresenceEventPayload) => void;
  'conversation:updated': (conversation: ConversationDto) => void;
  'member:added': (payload: MemberPayload) => void;
  'member:removed': (payload: MemberPayload) => void;
  'session:revoked': (payload: SessionRevokedPayload) => void;
}

export interface AckError {
  ok: false;
  error: { code: string; message: string };
}

export type AckAnswer<T> = { ok: true; data: T } | AckError;

export type Ack<T> = (answer: AckAnswer<T>) => void;

export interface SendMessageEventPayload {
  conversationId: string;
  clientMessageId: string;
  body?: string;
  replyToId?: string;
  attachmentIds?: string[];
}

/** Socket.IO client → server events; every one takes an ack. */
export interface ClientToServerEvents {
  'message:send': (payload: SendMessageEventPayload, ack: Ack<MessageDto>) => void;
  'message:read': (
    payload: { conversationId: string; seq: number },
    ack: Ack<{ lastReadSeq: number }>,
  ) => void;
  'typing:start': (payload: { conversationId: string }, ack: Ack<null>) => void;
  'typing:stop': (payload: { conversationId: string }, ack: Ack<null>) => void;
  'auth:refresh': (payload: { token: string }, ack: Ack<{ expiresAt: string }>) => void;
}

/** `connect_error` data of a refused handshake. */
export interface ConnectErrorData {
  code: string;
  message: string;
}
