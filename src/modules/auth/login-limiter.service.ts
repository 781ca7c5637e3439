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

const account = (login: string): string =>
  createHash('sha256').update(login.trim().toLowerCase()).digest('hex').slice(0, 32);

/**
 * Login throttling shared by every replica through Redis. The hard lock is per (account, IP) and
 * per IP, so an attacker can't lock a victim out everywhere; failures of an account from many IPs
 * only slow each further try down.
 */
@Injectable()
export class LoginLimiterService {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /** Throws LOGIN_RATE_LIMITED when this IP or this account-from-this-IP is locked; else waits the slowdown. */
  async beforeAttempt(login: string, ip: string): Promise<void> {
    const id = account(login);
    const results = await this.redis
      .pipeline()
      .get(`login:fail:ip:${ip}`)
      .get(`login:fail:acct-ip:${id}:${ip}`)
      .get(`login:fail:acct:${id}`)
      .ttl(`login:fail:ip:${ip}`)
      .ttl(`login:fail:acct-ip:${id}:${ip}`)
      .exec();
    const value = (index: number): number => Number(results?.[index]?.[1] ?? 0) || 0;
    const [ipFailures, pairFailures, accountFailures] = [value(0), value(1), value(2)];
    if (ipFailures >= IP_LIMIT) this.locked(value(3));
    if (pairFailures >= ACCOUNT_IP_LIMIT) this.locked(value(4));
    if (accountFailures >= ACCOUNT_SLOWDOWN_AFTER) {
      const delay = Math.min(MAX_DELAY_MS, 250 * 2 ** (accountFailures - ACCOUNT_SLOWDOWN_AFTER));
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  async recordFailure(login: string, ip: string): Promise<void> {
    const id = account(login);
    await this.redis
      .multi()
      .incr(`login:fail:ip:${ip}`)
      .expire(`login:fail:ip:${ip}`, IP_WINDOW_SECONDS, 'NX')
      .incr(`login:fail:acct-ip:${id}:${ip}`)
      .expire(`login:fail:acct-ip:${id}:${ip}`, ACCOUNT_WINDOW_SECONDS, 'NX')
      .incr(`login:fail:acct:${id}`)
      .expire(`login:fail:acct:${id}`, ACCOUNT_WINDOW_SECONDS, 'NX')
      .exec();
  }

  async recordSuccess(login: string, ip: string): Promise<void> {
    const id = account(login);
    await this.redis.del(`login:fail:acct-ip:${id}:${ip}`, `login:fail:acct:${id}`);
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
