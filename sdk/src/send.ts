import type { AckAnswer, ClientToServerEvents } from '../../src/contract';
import { abortReason, backoffDelay, sleep as defaultSleep, type BackoffOptions } from './backoff';
import { BaatCheetApiError, RETRYABLE_ACK_CODES } from './errors';

export type ClientEvent = keyof ClientToServerEvents;
export type PayloadOf<E extends ClientEvent> = Parameters<ClientToServerEvents[E]>[0];
export type AckDataOf<E extends ClientEvent> =
  Parameters<Parameters<ClientToServerEvents[E]>[1]>[0] extends AckAnswer<infer T> ? T : never;

/** What retrying needs of a socket; Realtime implements it. */
export interface AckChannel {
  /** Resolves when connected (at once if it is); rejects when the client closes or `signal` aborts. */
  whenConnected(signal?: AbortSignal): Promise<void>;
  /**
   * Emits once and resolves with the server's ack. Rejects with ACK_TIMEOUT when no ack came
   * within `timeoutMs` or the socket dropped first (the event may or may not have arrived).
   */
  emitWithAck<E extends ClientEvent>(
    event: E,
    payload: PayloadOf<E>,
    timeoutMs: number,
  ): Promise<AckAnswer<AckDataOf<E>>>;
}

export interface RetryOptions {
  /** Wait this long for each ack (default 5 s). */
  ackTimeoutMs?: number;
  /** Give up after this many emits (default: never; abort with `signal` or close the client). */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  signal?: AbortSignal;
  /** For tests: how to wait between attempts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Emits `payload` until the server acks it: after an ack timeout, a dropped socket (waiting for
 * the reconnect) or a retryable error ack (DEPENDENCY_UNAVAILABLE, RATE_LIMITED, INTERNAL_ERROR),
 * with backoff. Any other error ack (VALIDATION_FAILED, CONVERSATION_NOT_FOUND…) is final. The
 * payload is the same object every time, so `message:send` keeps its clientMessageId and the
 * server's idempotency turns a retry of a send that did arrive into the original message.
 */
export async function emitUntilAcked<E extends ClientEvent>(
  channel: AckChannel,
  event: E,
  payload: PayloadOf<E>,
  options: RetryOptions = {},
): Promise<AckDataOf<E>> {
  const { ackTimeoutMs = 5_000, maxAttempts = Number.POSITIVE_INFINITY, signal } = options;
  const wait = options.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt += 1) {
    await channel.whenConnected(signal);
    let failure: BaatCheetApiError;
    try {
      const answer = await channel.emitWithAck(event, payload, ackTimeoutMs);
      if (answer.ok) return answer.data;
      failure = new BaatCheetApiError(0, answer.error.code, answer.error.message);
    } catch (error) {
      if (!(error instanceof BaatCheetApiError)) throw error;
      failure = error;
    }
    if (!RETRYABLE_ACK_CODES.has(failure.code) || attempt >= maxAttempts) throw failure;
    if (signal?.aborted) throw abortReason(signal);
    await wait(backoffDelay(attempt, options.backoff), signal);
  }
}
