import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS } from '../../../infra/redis/redis.module';

const denylistKey = (jti: string): string => `denylist:${jti}`;
const sessionKey = (userId: string, sessionId: string): string => `refresh:${userId}:${sessionId}`;

/** Access tokens revoked before their expiry (logout), and the per-request liveness check. */
@Injectable()
export class AccessDenylistService {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async deny(jti: string, expSeconds: number): Promise<void> {
    const ttlMs = expSeconds * 1000 - Date.now();
    if (ttlMs > 0) await this.redis.set(denylistKey(jti), '1', 'PX', ttlMs);
  }

  /** One round trip: the token is not denylisted and its session still exists. */
  async isLive(jti: string, userId: string, sessionId: string): Promise<boolean> {
    const results = await this.redis
      .pipeline()
      .exists(denylistKey(jti))
      .exists(sessionKey(userId, sessionId))
      .exec();
    if (!results) throw new Error('Redis pipeline returned nothing');
    const [[deniedError, denied], [sessionError, session]] = results;
    if (deniedError) throw deniedError;
    if (sessionError) throw sessionError;
    return denied === 0 && session === 1;
  }
}
