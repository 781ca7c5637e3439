/** In-process events (@nestjs/event-emitter) that break module cycles: auth emits, chat listens. */
export const SESSION_REVOKED = 'session.revoked';

export interface SessionRevokedEvent {
  userId: string;
  sessionId: string;
  reason:
    'logout' | 'logout-all' | 'revoked' | 'refresh-reuse' | 'password-reset' | 'password-change';
}
