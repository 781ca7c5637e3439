export type * from '../../src/contract';
export { CLIENT_TO_SERVER_EVENTS, SERVER_TO_CLIENT_EVENTS } from '../../src/contract';
export {
  AuthApi,
  ConversationsApi,
  MediaApi,
  MessagesApi,
  UsersApi,
  type CreateUploadInput,
  type HistoryQuery,
  type Page,
  type PageQuery,
  type SendMessageInput,
  type SignedIn,
} from './api';
export { backoffDelay, newClientMessageId, type BackoffOptions } from './backoff';
export { ConversationStream, type ConversationStreamOptions } from './catch-up';
export {
  BaatCheetClient,
  createClient,
  type BaatCheetClientOptions,
  type SendMessageOptions,
  type TrackOptions,
} from './client';
export { BaatCheetApiError, RETRYABLE_ACK_CODES, SdkErrorCode } from './errors';
export { API_PREFIX, type AuthMode, type SessionEndReason } from './http';
export {
  Realtime,
  type ChatSocket,
  type ConnectionState,
  type RealtimeOptions,
  type ServerEvent,
  type ServerListener,
} from './realtime';
export { emitUntilAcked, type AckChannel, type RetryOptions } from './send';
export { MemoryTokenStore, type AuthTokens, type TokenStore } from './tokens';
