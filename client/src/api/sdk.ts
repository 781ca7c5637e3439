import {
  BaatCheetApiError,
  createClient,
  type BaatCheetClient,
  type SessionEndReason,
} from '../../../sdk/src';

/** The API's origin. Cookie mode: the session lives in httpOnly cookies, never in JS. */
export const API_URL = (import.meta.env.VITE_API_URL ?? 'http://localhost:3000').replace(
  /\/+$/,
  '',
);

type EndedListener = (reason: SessionEndReason) => void;
const endedListeners = new Set<EndedListener>();

/**
 * An SDK client is closed for good when its session ends; the next sign-in gets a fresh one.
 * Only the current client's end counts (a late event from an old one must not sign out the new).
 */
function makeClient(): BaatCheetClient {
  const client: BaatCheetClient = createClient({
    baseUrl: API_URL,
    mode: 'cookie',
    send: { maxAttempts: 5 },
    onSessionEnded: (reason) => {
      if (client !== current) return;
      current = makeClient();
      for (const listener of endedListeners) listener(reason);
    },
  });
  return client;
}

let current = makeClient();

/** The client of the current session. */
export function chatClient(): BaatCheetClient {
  return current;
}

export function onSessionEnded(listener: EndedListener): () => void {
  endedListeners.add(listener);
  return () => endedListeners.delete(listener);
}

export const SESSION_END_NOTICE: Record<SessionEndReason, string> = {
  signed_out: 'You have signed out.',
  session_revoked: 'This session was signed out.',
  refresh_failed: 'Your session has ended. Please sign in again.',
};

/** One line for the UI: the server's message plus any per-field details. */
export function describeError(error: unknown): string {
  if (error instanceof BaatCheetApiError) {
    const details = (error.details ?? []).map((d) => `${d.field}: ${d.message}`).join('; ');
    return details ? `${error.message} (${details})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
