import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppException } from '../../common/errors/app.exception';
import { REDIS } from '../../infra/redis/redis.module';

/** Failed logins allowed per account from one IP in ACCOUNT_WINDOW before that pair is locked. */
const ACCOUNT_IP_LIMIT = 5;
const ACCOUNT_WINDOW_SECONDS = 15 * 60;
/** Failed logins allowed per IP, whatever the account, per IP_WINDOW. */
const IP_LIMIT = 20;
const IP_WINDOW_SECONDS = 60;
/** Failures of one account across all IPs before each further try is slowed down. */
const ACCOUNT_SLOWDOWN_AFTER = 5;
const MAX_DELAY_MS = 5_000;

/**
 * Check and count in one step: an attempt takes a slot of the IP's and the (account, IP) pair's
 * budgets before the password is checked, so a burst of parallel tries can't all pass a check made
 * before any of them failed. Returns {'locked', ttl} or {'ok', accountFailures}.
 * KEYS: ip counter, pair counter, account counter. ARGV: ip limit, ip window, pair limit, pair window.
 */
const RESERVE_ATTEMPT = `
local ipCount = tonumber(redis.call('GET', KEYS[1]) or '0')
if ipCount >= tonumber(ARGV[1]) then return {'locked', redis.call('TTL', KEYS[1])} end
local pairCount = tonumber(redis.call('GET', KEYS[2]) or '0')
if pairCount >= tonumber(ARGV[3]) then return {'locked', redis.call('TTL', KEYS[2])} end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if redis.call('INCR', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[4]) end
return {'ok', tonumber(redis.call('GET', KEYS[3]) or '0')}
`;

/** Gives back a reserved slot (the attempt succeeded); never leaves a counter without its TTL. */
const RELEASE_SLOT = `
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('DECR', KEYS[1]) <= 0 then
  redis.call('DEL', KEYS[1])
end
return 1
`;

interface LimiterRedis extends Redis {
  reserveLoginAttempt(
    ipKey: string,
    pairKey: string,
    accountCounterKey: string,
    ipLimit: number,
    ipWindow: number,
    pairLimit: number,
    pairWindow: number,
  ): Promise<[string, number]>;
  releaseLoginSlot(key: string): Promise<number>;
}

const hashed = (key: string): string =>
  createHash('sha256').update(key.trim().toLowerCase()).digest('hex').slice(0, 32);

const keysOf = (login: string, ip: string): { ip: string; pair: string; account: string } => {
  const id = hashed(login);
  return {
    ip: `login:fail:ip:${ip}`,
    pair: `login:fail:acct-ip:${id}:${ip}`,
    account: `login:fail:acct:${id}`,
  };
};

/**
 * Login throttling shared by every replica through Redis. The hard lock is per (account, IP) and
 * per IP, so an attacker can't lock a victim out everywhere; failures of an account from many IPs
 * only slow each further try down. Accounts are named by the login as typed (case-folded), not by
 * the account it resolves to: a budget shared by an account's email and username would answer 429
 * for one after failures of the other, telling an attacker that the two belong together.
 */
@Injectable()
export class LoginLimiterService {
  private readonly redis: LimiterRedis;

  constructor(@Inject(REDIS) redis: Redis) {
    if (!('reserveLoginAttempt' in redis)) {
      redis.defineCommand('reserveLoginAttempt', { numberOfKeys: 3, lua: RESERVE_ATTEMPT });
      redis.defineCommand('releaseLoginSlot', { numberOfKeys: 1, lua: RELEASE_SLOT });
    }
    this.redis = redis as LimiterRedis;
  }

  /**
   * Counts this attempt against the IP and the (account, IP) pair, or throws LOGIN_RATE_LIMITED
   * when either budget is spent; then waits the account's slowdown.
   */
  async beforeAttempt(login: string, ip: string): Promise<void> {
    const keys = keysOf(login, ip);
    const [status, value] = await this.redis.reserveLoginAttempt(
      keys.ip,
      keys.pair,
      keys.account,
      IP_LIMIT,
      IP_WINDOW_SECONDS,
      ACCOUNT_IP_LIMIT,
      ACCOUNT_WINDOW_SECONDS,
    );
    if (status === 'locked') this.locked(Number(value));
    const accountFailures = Number(value) || 0;
    if (accountFailures >= ACCOUNT_SLOWDOWN_AFTER) {
      const delay = Math.min(MAX_DELAY_MS, 250 * 2 ** (accountFailures - ACCOUNT_SLOWDOWN_AFTER));
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /** The attempt failed: the IP and pair slots stay taken; the account's slowdown grows. */
  async recordFailure(login: string, ip: string): Promise<void> {
    const { account } = keysOf(login, ip);
    await this.redis.multi().incr(account).expire(account, ACCOUNT_WINDOW_SECONDS, 'NX').exec();
  }

  /** The attempt succeeded: it gives its IP slot back and clears the account's failures. */
  async recordSuccess(login: string, ip: string): Promise<void> {
    const keys = keysOf(login, ip);
    await this.redis.releaseLoginSlot(keys.ip);
    await this.redis.del(keys.pair, keys.account);
  }

  private locked(ttlSeconds: number): never {
    const retryAfter = String(Math.max(1, ttlSeconds));
    throw new AppException(
      'LOGIN_RATE_LIMITED',
      'Too many failed logins, try again later',
      undefined,
      {
        'Retry-After': retryAfter,
      },
    );
  }
}
