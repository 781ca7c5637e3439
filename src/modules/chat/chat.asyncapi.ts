import type {
  AckError,
  AttachmentDto,
  ClientToServerEvents,
  ConnectErrorData,
  ConversationDto,
  MemberDto,
  MemberPayload,
  MessageDto,
  PresenceEventPayload,
  ReactionDto,
  ReactionPayload,
  ReceiptPayload,
  ServerToClientEvents,
  SessionRevokedPayload,
  TypingEventPayload,
} from '../../contract';
import {
  buildAsyncApiDocument,
  type EmittedEvent,
  type HandledEvent,
} from '../../infra/docs/asyncapi';
import { schemaOfClass, type JsonSchema } from '../../infra/docs/class-schema';
import { ReadPayload, RefreshPayload, SendMessagePayload, TypingPayload } from './ws-payloads';

/** Every key of T, required: a field added to a wire type without its schema does not compile. */
type Properties<T> = { [K in keyof Required<T>]: JsonSchema };

function object<T>(title: string, properties: Properties<T>): JsonSchema {
  return {
    type: 'object',
    title,
    properties,
    required: Object.keys(properties).sort(),
    additionalProperties: false,
  };
}

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const uuid: JsonSchema = { type: 'string', format: 'uuid' };
const text: JsonSchema = { type: 'string' };
const instant: JsonSchema = { type: 'string', format: 'date-time' };
const nullable = (schema: JsonSchema): JsonSchema => ({ oneOf: [schema, { type: 'null' }] });
const seq: JsonSchema = { type: 'integer', minimum: 0 };
const count: JsonSchema = { type: 'integer', minimum: 0 };

const schemas: Record<string, JsonSchema> = {
  AttachmentDto: object<AttachmentDto>('AttachmentDto', {
    id: uuid,
    filename: text,
    contentType: text,
    size: count,
    width: nullable(count),
    height: nullable(count),
    url: { type: 'string', format: 'uri' },
    thumbnailUrl: nullable({ type: 'string', format: 'uri' }),
    urlExpiresAt: instant,
  }),
  ReactionDto: object<ReactionDto>('ReactionDto', {
    emoji: text,
    count: { type: 'integer', minimum: 1 },
    userIds: { type: 'array', items: uuid },
  }),
  MessageDto: object<MessageDto>('MessageDto', {
    id: uuid,
    conversationId: uuid,
    seq: {
      type: 'integer',
      minimum: 1,
      description: 'gapless, strictly increasing per conversation',
    },
    senderId: uuid,
    clientMessageId: text,
    body: nullable(text),
    replyToId: nullable(uuid),
    attachments: { type: 'array', items: ref('AttachmentDto') },
    reactions: { type: 'array', items: ref('ReactionDto') },
    editedAt: nullable(instant),
    deletedAt: nullable(instant),
    createdAt: instant,
  }),
  MemberDto: object<MemberDto>('MemberDto', {
    userId: uuid,
    username: text,
    avatarUrl: nullable(text),
    role: { enum: ['owner', 'admin', 'member'] },
    joinedAt: instant,
  }),
  ConversationDto: object<ConversationDto>('ConversationDto', {
    id: uuid,
    type: { enum: ['direct', 'group'] },
    name: nullable(text),
    avatarUrl: nullable(text),
    members: { type: 'array', items: ref('MemberDto') },
    lastMessage: nullable(ref('MessageDto')),
    lastSeq: seq,
    lastReadSeq: seq,
    unreadCount: count,
    updatedAt: instant,
    createdAt: instant,
  }),
  ReactionPayload: object<ReactionPayload>('ReactionPayload', {
    conversationId: uuid,
    messageId: uuid,
    reactions: { type: 'array', items: ref('ReactionDto') },
  }),
  ReceiptPayload: object<ReceiptPayload>('ReceiptPayload', {
    conversationId: uuid,
    userId: uuid,
    seq,
  }),
  TypingEventPayload: object<TypingEventPayload>('TypingEventPayload', {
    conversationId: uuid,
    userId: uuid,
    isTyping: { type: 'boolean' },
  }),
  PresenceEventPayload: object<PresenceEventPayload>('PresenceEventPayload', {
    userId: uuid,
    status: { enum: ['online', 'offline'] },
    lastSeenAt: nullable(instant),
  }),
  MemberPayload: object<MemberPayload>('MemberPayload', { conversationId: uuid, userId: uuid }),
  SessionRevokedPayload: object<SessionRevokedPayload>('SessionRevokedPayload', {
    sessionId: uuid,
  }),
  AckError: object<AckError>('AckError', {
    ok: { const: false },
    error: object<AckError['error']>('AckErrorBody', {
      code: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*$' },
      message: text,
    }),
  }),
  ConnectError: {
    type: 'object',
    title: 'ConnectError',
    description: 'The Error a refused handshake hands to `connect_error` listeners.',
    properties: {
      message: text,
      data: object<ConnectErrorData>('ConnectErrorData', {
        code: {
          enum: ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'CSRF_ORIGIN_REJECTED', 'DEPENDENCY_UNAVAILABLE'],
        },
        message: text,
      }),
    },
    required: ['message', 'data'],
  },
  SendMessagePayload: schemaOfClass(SendMessagePayload),
  ReadPayload: schemaOfClass(ReadPayload),
  TypingPayload: schemaOfClass(TypingPayload),
  RefreshPayload: schemaOfClass(RefreshPayload),
};

/** Server → client; `satisfies` keeps this list equal to ServerToClientEvents. */
export const EMITTED_EVENTS = {
  'message:new': {
    summary: 'A message was sent to a conversation you are in.',
    payload: ref('MessageDto'),
  },
  'message:updated': { summary: 'A message was edited.', payload: ref('MessageDto') },
  'message:deleted': {
    summary: 'A message was deleted (tombstone: body null, deletedAt set).',
    payload: ref('MessageDto'),
  },
  'reaction:updated': {
    summary: "A message's reactions changed.",
    payload: ref('ReactionPayload'),
  },
  'receipt:read': {
    summary: 'Another member read everything up to seq.',
    payload: ref('ReceiptPayload'),
  },
  typing: {
    summary: 'Someone started or stopped typing (expires by itself after 5 s without a repeat).',
    payload: ref('TypingEventPayload'),
  },
  presence: {
    summary: 'A friend or conversation peer went online or offline.',
    payload: ref('PresenceEventPayload'),
  },
  'conversation:updated': {
    summary: 'A conversation changed (as the recipient sees it).',
    payload: ref('ConversationDto'),
  },
  'member:added': {
    summary: 'Someone was added to a conversation.',
    payload: ref('MemberPayload'),
  },
  'member:removed': {
    summary: 'Someone left or was removed from a conversation.',
    payload: ref('MemberPayload'),
  },
  'session:revoked': {
    summary: 'This session was revoked; the server disconnects the socket next.',
    payload: ref('SessionRevokedPayload'),
  },
} satisfies Record<keyof ServerToClientEvents, EmittedEvent>;

/** Client → server; `satisfies` keeps this list equal to ClientToServerEvents. */
export const HANDLED_EVENTS = {
  'message:send': {
    summary: 'Send a message. Idempotent per clientMessageId: a retry acks the original message.',
    payload: ref('SendMessagePayload'),
    ackData: ref('MessageDto'),
  },
  'message:read': {
    summary: 'Read receipt: everything up to seq is read (monotonic).',
    payload: ref('ReadPayload'),
    ackData: object<{ lastReadSeq: number }>('ReadAck', { lastReadSeq: seq }),
  },
  'typing:start': {
    summary: 'Start typing; repeat within 5 s to keep it on.',
    payload: ref('TypingPayload'),
    ackData: { type: 'null' },
  },
  'typing:stop': {
    summary: 'Stop typing.',
    payload: ref('TypingPayload'),
    ackData: { type: 'null' },
  },
  'auth:refresh': {
    summary: "Hand over a fresh access token of the same session before the socket's expires.",
    payload: ref('RefreshPayload'),
    ackData: object<{ expiresAt: string }>('RefreshAck', { expiresAt: instant }),
  },
} satisfies Record<keyof ClientToServerEvents, HandledEvent>;

/** Socket.IO's own events the server produces that a client must handle. */
export const RESERVED_EVENTS: Record<string, EmittedEvent> = {
  connect_error: {
    summary:
      'The handshake was refused: data.code is UNAUTHORIZED (no or bad token), TOKEN_EXPIRED (refresh, then reconnect), CSRF_ORIGIN_REJECTED (Origin not allowed) or DEPENDENCY_UNAVAILABLE (shutting down, retry).',
    payload: ref('ConnectError'),
  },
};

const DESCRIPTION = [
  'Socket.IO v4 events of the Baat Cheet chat backend (default namespace, same port as HTTP; REST: /docs-json).',
  '',
  'Handshake: `auth: { token: <accessToken> }` (mobile, Node), or the httpOnly `access_token` cookie from a browser on an allowed Origin. A token in the query string is refused. A refusal arrives as `connect_error` with `data.code`.',
  '',
  'The server disconnects a socket when its session is revoked (after `session:revoked`) or its access token expires, unless the client sent `auth:refresh` with a fresh token first.',
  '',
  'Every client → server event takes an ack callback, answered `{ ok: true, data }` or `{ ok: false, error: { code, message } }` with the same codes as HTTP (VALIDATION_FAILED, CONVERSATION_NOT_FOUND, RATE_LIMITED, DEPENDENCY_UNAVAILABLE…).',
].join('\n');

/** The AsyncAPI 3.0 document served at GET /docs/asyncapi.json. */
export function chatAsyncApiDocument(title: string): JsonSchema {
  return buildAsyncApiDocument({
    title,
    version: '1',
    description: DESCRIPTION,
    securitySchemes: {
      accessToken: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'The access token, sent as `auth.token` in the Socket.IO CONNECT packet (not a header, never the query string).',
      },
      accessTokenCookie: {
        type: 'httpApiKey',
        in: 'cookie',
        name: 'access_token',
        description: 'Browsers: the httpOnly cookie, accepted only from an Origin in CORS_ORIGINS.',
      },
    },
    emits: EMITTED_EVENTS,
    handles: HANDLED_EVENTS,
    reserved: RESERVED_EVENTS,
    schemas,
  });
}
