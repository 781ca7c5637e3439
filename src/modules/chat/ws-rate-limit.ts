import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppException } from '../../common/errors/app.exception';
import { isDependencyDownError } from '../../common/errors/classify-error';
import { REDIS } from '../../infra/redis/redis.module';

/**
 * Per-user budgets for client→server socket events, shared by every replica (one Redis key per
 * user and class, whatever socket or replica the event came in on). Each is a token bucket:
 * `burst` events at once, then one every `intervalMs` (the sustained rate).
 *
 * - `message` (message:send): 20/s sustained, bursts of 40 — far above anyone typing, enough for
 *   a client flushing its offline outbox; a script spamming a group is cut off.
 * - `read` (message:read): 20/s, bursts of 40 — a client scrolling through many conversations.
 * - `typing` (typing:start + typing:stop): 10/s, bursts of 20 — clients repeat every ~2 s per
 *   conversation.
 * - `refresh` (auth:refresh): 6/min, bursts of 10 — one per socket per access-token lifetime,
 *   but every tab of a browser refreshes at the same moment; each try costs a JWT check.
 */
export const WS_RATE_LIMITS = {
  message: { intervalMs: 50, burst: 40 },
  read: { intervalMs: 50, burst: 40 },
  typing: { intervalMs: 100, burst: 20 },
  refresh: { intervalMs: 10_000, burst: 10 },
} as const satisfies Record<string, { intervalMs: number; burst: number }>;

export type WsRateClass = keyof typeof WS_RATE_LIMITS;

const EVENTS_OF: Record<WsRateClass, string> = {
  message: 'message:send',
  read: 'message:read',
  typing: 'typing',
  refresh: 'auth:refresh',
};

/** `ratelimit:ws:<userId>:<class>` (under the app's key prefix, like every key of the main client). */
export const wsRateKey = (userId: string, rateClass: WsRateClass): string =>
  `ratelimit:ws:${userId}:${rateClass}`;

/**
 * GCRA (the token bucket as one timestamp): the key holds the "theoretical arrival time" (TAT).
 * An event is allowed when TAT - now <= (burst - 1) * interval; it then moves TAT one interval
 * on. Redis's own clock, so replicas with skewed clocks still share one budget. The key expires
 * when the bucket is full again. KEYS: bucket. ARGV: intervalMs, burst.
 * Returns 0 when allowed, else the ms until the next event would be.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now - (tonumber(ARGV[2]) - 1) * interval
if wait > 0 then return wait end
local nextTat = tat + interval
redis.call('SET', KEYS[1], nextTat, 'PX', nextTat - now)
return 0`;

interface RateRedis extends Redis {
  wsRateTake(key: string, intervalMs: number, burst: number): Promise<number>;
}

/** The socket events' rate limiter; the gateway asks it before running an event. */
@Injectable()
export class WsRateLimiter {
  private readonly logger = new Logger('WsRateLimit');
  private readonly redis: RateRedis;

  constructor(@Inject(REDIS) redis: Redis) {
    if (!('wsRateTake' in redis)) {
      redis.defineCommand('wsRateTake', { numberOfKeys: 1, lua: TAKE });
    }
    this.redis = redis as RateRedis;
  }

  /**
   * Takes one event from the user's budget, or throws RATE_LIMITED (the socket stays connected).
   * Fails open while Redis is unreachable: the limit protects the service from abuse, it is not an
   * authorization check, and refusing every event during an outage would be worse.
   */
  async take(userId: string, rateClass: WsRateClass): Promise<void> {
    const { intervalMs, burst } = WS_RATE_LIMITS[rateClass];
    let waitMs: number;
    try {
      waitMs = Number(await this.redis.wsRateTake(wsRateKey(userId, rateClass), intervalMs, burst));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (isDependencyDownError(error)) this.logger.debug(`rate limit skipped: ${reason}`);
      else this.logger.warn(`rate limit skipped: ${reason}`);
      return;
    }
    if (waitMs > 0) {
      throw new AppException(
        'RATE_LIMITED',
        `Too many ${EVENTS_OF[rateClass]} events, retry in ${Math.ceil(waitMs)} ms`,
      );
    }
  }
}
