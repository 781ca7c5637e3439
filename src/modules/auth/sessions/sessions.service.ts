import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type Redis from 'ioredis';
import { v7 as uuidv7 } from 'uuid';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config';
import { AppException } from '../../../common/errors/app.exception';
import { SESSION_REVOKED, type SessionRevokedEvent } from '../../../common/events/session-events';
import { REDIS } from '../../../infra/redis/redis.module';
import type { ClientInfo, IssuedTokens } from '../auth.types';
import { hashRefreshToken } from '../credentials/refresh-token';
import { TokenService } from '../tokens/token.service';
import { ROTATE_REFRESH } from '../auth.scripts';

export interface SessionView {
  id: string;
  userAgent: string;
  ip: string;
  createdAt: string;
  lastUsedAt: string;
  current: boolean;
}

type RotateResult = 'rotated' | 'grace' | 'stale' | 'reuse' | 'missing';

interface ScriptedRedis extends Redis {
  rotateRefresh(
    key: string,
    presented: string,
    fresh: string,
    now: number,
    graceMs: number,
  ): Promise<RotateResult>;
}

const sessionKey = (userId: string, sessionId: string): string => `refresh:${userId}:${sessionId}`;
const userSessionsKey = (userId: string): string => `sessions:${userId}`;
const MAX_USER_AGENT = 256;

/**
 * Sessions live in Redis: one hash per session holding only SHA-256 hashes of refresh tokens,
 * plus a set per user. Deleting the hash kills the session on every replica at once.
 */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger('Sessions');
  private readonly redis: ScriptedRedis;

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tokens: TokenService,
    private readonly events: EventEmitter2,
  ) {
    if (!('rotateRefresh' in redis))
      redis.defineCommand('rotateRefresh', { numberOfKeys: 1, lua: ROTATE_REFRESH });
    this.redis = redis as ScriptedRedis;
  }

  async create(userId: string, client: ClientInfo): Promise<IssuedTokens> {
    const sessionId = uuidv7();
    const now = Date.now();
    // Whole seconds, as in the token's `exp`: a rotation then reports the very same expiry.
    const refreshExpiresAt = new Date(
      Math.floor(now / 1000) * 1000 + this.config.auth.refreshTtlSeconds * 1000,
    );
    const refreshToken = this.tokens.signRefresh(userId, sessionId, refreshExpiresAt);
    const key = sessionKey(userId, sessionId);
    await this.redis
      .multi()
      .hset(key, {
        cur: hashRefreshToken(refreshToken),
        prev: '',
        rot: now,
        disp: '',
        createdAt: now,
        lastUsedAt: now,
        userAgent: client.userAgent.slice(0, MAX_USER_AGENT),
        ip: client.ip,
        expiresAt: refreshExpiresAt.getTime(),
      })
      .pexpireat(key, refreshExpiresAt.getTime())
      .sadd(userSessionsKey(userId), sessionId)
      .exec();
    return this.issue(userId, sessionId, refreshToken, refreshExpiresAt);
  }

  /** Rotates a refresh token; a rotated-out token presented again revokes every session of the user. */
  async rotate(refreshToken: string): Promise<IssuedTokens> {
    const claims = this.tokens.verifyRefresh(refreshToken);
    const expiresAt = new Date(claims.exp * 1000);
    const fresh = this.tokens.signRefresh(claims.sub, claims.sid, expiresAt);
    const result = await this.redis.rotateRefresh(
      sessionKey(claims.sub, claims.sid),
      hashRefreshToken(refreshToken),
      hashRefreshToken(fresh),
      Date.now(),
      this.config.auth.refreshGraceSeconds * 1000,
    );
    switch (result) {
      case 'rotated':
      case 'grace':
        return this.issue(claims.sub, claims.sid, fresh, expiresAt);
      case 'reuse':
        this.logger.warn(
          { securityEvent: 'refresh_token_reuse', userId: claims.sub, sessionId: claims.sid },
          'refresh token reuse detected: revoking every session of the user',
        );
        await this.revokeAll(claims.sub, 'refresh-reuse');
        throw new AppException(
          'REFRESH_TOKEN_REUSED',
          'Refresh token reuse detected; every session was signed out',
        );
      default:
        throw new AppException('REFRESH_TOKEN_INVALID', 'Invalid refresh token');
    }
  }

  /** The session a refresh token names, if the token is genuine (signature, expiry); no state change. */
  sessionOfRefreshToken(refreshToken: string): { userId: string; sessionId: string } {
    const claims = this.tokens.verifyRefresh(refreshToken);
    return { userId: claims.sub, sessionId: claims.sid };
  }

  async exists(userId: string, sessionId: string): Promise<boolean> {
    return (await this.redis.exists(sessionKey(userId, sessionId))) === 1;
  }

  async list(userId: string, currentSessionId: string): Promise<SessionView[]> {
    const ids = await this.redis.smembers(userSessionsKey(userId));
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids)
      pipeline.hmget(sessionKey(userId, id), 'userAgent', 'ip', 'createdAt', 'lastUsedAt');
    const rows = (await pipeline.exec()) ?? [];
    const views: SessionView[] = [];
    const expired: string[] = [];
    ids.forEach((id, index) => {
      const [error, values] = rows[index] ?? [];
      const [userAgent, ip, createdAt, lastUsedAt] =
        (values as (string | null)[] | undefined) ?? [];
      if (error || !createdAt) {
        expired.push(id);
        return;
      }
      views.push({
        id,
        userAgent: userAgent ?? '',
        ip: ip ?? '',
        createdAt: new Date(Number(createdAt)).toISOString(),
        lastUsedAt: new Date(Number(lastUsedAt ?? createdAt)).toISOString(),
        current: id === currentSessionId,
      });
    });
    if (expired.length > 0) await this.redis.srem(userSessionsKey(userId), ...expired);
    return views.sort((a, b) => b.lastUsedAt.localeCompare(a.lastUsedAt));
  }

  /** Revokes one session of the user; false when it isn't theirs or no longer exists. */
  async revoke(
    userId: string,
    sessionId: string,
    reason: SessionRevokedEvent['reason'],
  ): Promise<boolean> {
    const [[, deleted] = [null, 0]] =
      (await this.redis
        .multi()
        .del(sessionKey(userId, sessionId))
        .srem(userSessionsKey(userId), sessionId)
        .exec()) ?? [];
    if (deleted !== 1) return false;
    this.emitRevoked({ userId, sessionId, reason });
    return true;
  }

  async revokeAll(
    userId: string,
    reason: SessionRevokedEvent['reason'],
    exceptSessionId?: string,
  ): Promise<number> {
    const ids = (await this.redis.smembers(userSessionsKey(userId))).filter(
      (id) => id !== exceptSessionId,
    );
    if (ids.length === 0) return 0;
    await this.redis
      .multi()
      .del(...ids.map((id) => sessionKey(userId, id)))
      .srem(userSessionsKey(userId), ...ids)
      .exec();
    for (const sessionId of ids) this.emitRevoked({ userId, sessionId, reason });
    return ids.length;
  }

  private issue(
    userId: string,
    sessionId: string,
    refreshToken: string,
    refreshTokenExpiresAt: Date,
  ): IssuedTokens {
    const access = this.tokens.signAccess(userId, sessionId);
    return {
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken,
      refreshTokenExpiresAt,
      sessionId,
    };
  }

  private emitRevoked(event: SessionRevokedEvent): void {
    this.events.emit(SESSION_REVOKED, event);
  }
}
