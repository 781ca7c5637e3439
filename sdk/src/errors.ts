import type { ErrorDetail } from '../../src/contract';

/**
 * Every failure the SDK reports. `status` is the HTTP status, or 0 when the answer did not come
 * over HTTP (a socket ack, a network failure, an ack timeout, a closed client).
 */
export class BaatCheetApiError extends Error {
  override readonly name = 'BaatCheetApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly requestId: string | null = null,
    /** Seconds from `Retry-After`, when the server sent one (429, 503). */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}

/** Codes an SDK caller can expect besides the server's own (src/common/errors/error-codes.ts). */
export const SdkErrorCode = {
  /** fetch itself failed: offline, DNS, connection refused. */
  NetworkError: 'NETWORK_ERROR',
  /** A non-JSON or malformed answer (a proxy's HTML error page, say). */
  BadResponse: 'BAD_RESPONSE',
  /** The socket did not ack within the ack timeout (sendMessage retries these). */
  AckTimeout: 'ACK_TIMEOUT',
  /** The client was closed, or the session ended, while the call was waiting. */
  ClientClosed: 'CLIENT_CLOSED',
  /** The session ended (refresh refused, revoked, signed out) while the call was waiting. */
  SessionEnded: 'SESSION_ENDED',
  /** sendMessage/markRead/setTyping before `connect()` (or after `disconnect()`). */
  NotConnected: 'NOT_CONNECTED',
  /** A bearer-mode call needed tokens and there were none. */
  NotAuthenticated: 'NOT_AUTHENTICATED',
} as const;

/** Socket ack codes worth retrying: the same call can succeed a moment later. */
export const RETRYABLE_ACK_CODES: ReadonlySet<string> = new Set([
  'DEPENDENCY_UNAVAILABLE',
  'RATE_LIMITED',
  'INTERNAL_ERROR',
  SdkErrorCode.AckTimeout,
]);
