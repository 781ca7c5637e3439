import { BaatCheetApiError, SdkErrorCode } from './errors';

export interface BackoffOptions {
  /** First delay (default 250 ms). */
  initialMs?: number;
  /** Ceiling (default 10 s). */
  maxMs?: number;
  /** 0..1: how much of each delay is random (default 0.5), so many clients don't retry in step. */
  jitter?: number;
}

/** Exponential backoff with jitter: the delay before retry number `attempt` (1-based). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const { initialMs = 250, maxMs = 10_000, jitter = 0.5 } = options;
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - jitter) + base * jitter * Math.random());
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortReason(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error
    ? reason
    : new BaatCheetApiError(0, SdkErrorCode.ClientClosed, 'Aborted');
}

/** A clientMessageId: a UUID (fits the server's 1-64 chars of A-Z a-z 0-9 _ -). */
export function newClientMessageId(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  // Browsers expose randomUUID only on secure origins; getRandomValues is everywhere.
  const bytes = c.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
