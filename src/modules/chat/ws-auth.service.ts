import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { AppException } from '../../common/errors/app.exception';
import { AccessDenylistService } from '../auth/tokens/access-denylist.service';
import { TokenService } from '../auth/tokens/token.service';
import type { ChatSocket, SocketData } from './ws-server';

type Handshake = ChatSocket['handshake'];

const ACCESS_COOKIE = 'access_token';
/**
 * Query parameters that look like a credential. URLs end up in proxy access logs, browser history
 * and Referer headers, so a token there is refused outright (even beside a valid auth.token): the
 * client learns at once instead of leaking tokens quietly.
 */
const QUERY_CREDENTIALS = ['token', 'access_token', 'accesstoken', 'jwt', 'authorization', 'auth'];
/** How often sockets are checked for an expired access token (the disconnect's lateness, at most). */
export const EXPIRY_SWEEP_MS = 1_000;

/**
 * Socket authentication: the handshake (token from `auth.token`, or the access_token cookie when
 * the Origin is allowed), the same liveness check as HTTP (denylist, session alive),
 * `auth:refresh`, and the disconnect at token expiry.
 */
@Injectable()
export class WsAuthService implements OnModuleDestroy {
  private readonly logger = new Logger('WsAuth');
  private readonly allowedOrigins: ReadonlySet<string>;
  /**
   * Sockets whose access token has yet to expire, checked by one sweep a second: a timer per
   * socket (a Timeout, its closure and a map entry) was a tenth of an idle socket's memory.
   */
  private readonly watched = new Set<ChatSocket>();
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly tokens: TokenService,
    private readonly denylist: AccessDenylistService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.allowedOrigins = new Set(config.http.corsOrigins);
  }

  /**
   * A browser always sends Origin on a WebSocket/polling handshake: a foreign one is refused. A
   * client without Origin (Node, mobile) must bring its token in `auth.token`; the cookie counts
   * only for an allowed Origin, so a page elsewhere can't ride the browser's cookie. A token in
   * the query string is never read, and its presence refuses the handshake.
   */
  async authenticate(handshake: Handshake): Promise<SocketData> {
    const origin = headerOf(handshake, 'origin');
    const originAllowed = origin !== undefined && this.allowedOrigins.has(origin);
    if (origin !== undefined && !originAllowed) {
      throw new AppException(
        'CSRF_ORIGIN_REJECTED',
        'Cross-site connection refused: origin not allowed',
      );
    }
    if (hasQueryCredential(handshake)) {
      throw new AppException(
        'UNAUTHORIZED',
        'Tokens are not accepted in the query string: send auth.token',
      );
    }
    const token = tokenOf(handshake, originAllowed);
    if (token === undefined) throw new AppException('UNAUTHORIZED', 'Authentication required');
    const data = await this.identify(token);
    dropCredentials(handshake);
    return data;
  }

  /**
   * `auth:refresh`: a fresh access token of the SAME user and session extends the socket's life.
   * Anything else (another user's token, another session's, a dead session) is refused and the
   * socket keeps its old expiry.
   */
  async refresh(socket: ChatSocket, token: string): Promise<{ expiresAt: string }> {
    const current = socket.data;
    const next = await this.identify(token);
    if (next.userId !== current.userId || next.sessionId !== current.sessionId) {
      throw new AppException('UNAUTHORIZED', 'The token belongs to another session');
    }
    socket.data = {
      ...current,
      jti: next.jti,
      expiresAt: Math.max(current.expiresAt, next.expiresAt),
    };
    return { expiresAt: new Date(socket.data.expiresAt).toISOString() };
  }

  /**
   * Disconnects the socket once its access token has expired (a refresh moves `expiresAt` on;
   * the sweep reads it each time).
   */
  watchExpiry(socket: ChatSocket): void {
    if (this.expire(socket)) return;
    this.watched.add(socket);
    this.sweeper ??= setInterval(() => this.sweep(), EXPIRY_SWEEP_MS).unref();
  }

  forget(socket: ChatSocket): void {
    this.watched.delete(socket);
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.watched.clear();
  }

  /** The socket's session still exists and its token was not signed out. */
  isLive(data: SocketData): Promise<boolean> {
    return this.denylist.isLive(data.jti, data.userId, data.sessionId);
  }

  private async identify(token: string): Promise<SocketData> {
    const claims = this.tokens.verifyAccess(token);
    if (!(await this.denylist.isLive(claims.jti, claims.sub, claims.sid))) {
      throw new AppException('UNAUTHORIZED', 'Session revoked or signed out');
    }
    return {
      userId: claims.sub,
      sessionId: claims.sid,
      jti: claims.jti,
      expiresAt: claims.exp * 1000,
    };
  }

  private sweep(): void {
    for (const socket of this.watched) {
      if (!socket.connected) this.watched.delete(socket);
      else this.expire(socket);
    }
  }

  /** Disconnects the socket if its token has expired (clock tolerance 0, like HTTP). */
  private expire(socket: ChatSocket): boolean {
    if (Date.now() < socket.data.expiresAt) return false;
    this.watched.delete(socket);
    this.logger.debug({ userId: socket.data.userId }, 'socket access token expired');
    socket.disconnect(true);
    return true;
  }
}

/**
 * Socket.IO keeps the handshake for the socket's lifetime: once the token has been read, neither
 * it (`auth.token`) nor the cookie header stays in memory with every connected socket (a JWT is
 * ~0.5 KiB per socket; `auth:refresh` brings its own token).
 */
function dropCredentials(handshake: Handshake): void {
  const auth: unknown = handshake.auth;
  if (auth !== null && typeof auth === 'object') delete (auth as { token?: unknown }).token;
  delete handshake.headers.cookie;
}

function headerOf(handshake: Handshake, name: string): string | undefined {
  const value = handshake.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function hasQueryCredential(handshake: Handshake): boolean {
  const query: unknown = handshake.query;
  if (query === null || typeof query !== 'object') return false;
  return Object.keys(query).some((key) => QUERY_CREDENTIALS.includes(key.toLowerCase()));
}

function tokenOf(handshake: Handshake, cookieAllowed: boolean): string | undefined {
  const auth: unknown = handshake.auth;
  if (auth !== null && typeof auth === 'object' && 'token' in auth) {
    const token: unknown = auth.token;
    // A token that is not a non-empty string is a bad token, not a reason to try the cookie.
    if (typeof token !== 'string' || token.length === 0) {
      throw new AppException('UNAUTHORIZED', 'Invalid access token');
    }
    return token;
  }
  if (!cookieAllowed) return undefined;
  return cookieValue(headerOf(handshake, 'cookie'), ACCESS_COOKIE);
}

/** The value of one cookie in a Cookie header (RFC 6265 pairs); malformed escapes count as absent. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header || header.length > 16_384) return undefined;
  for (const pair of header.split(';')) {
    const index = pair.indexOf('=');
    if (index < 0 || pair.slice(0, index).trim() !== name) continue;
    let value = pair.slice(index + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2)
      value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      return undefined;
    }
    return value.length > 0 ? value : undefined;
  }
  return undefined;
}
