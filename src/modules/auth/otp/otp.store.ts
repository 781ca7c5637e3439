import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS } from '../../../infra/redis/redis.module';
import { ATTEMPT_OTP } from '../auth.scripts';
import type { OtpPurpose } from '../credentials/otp';

export const OTP_TTL_SECONDS = 300;
export const OTP_COOLDOWN_SECONDS = 60;
export const OTP_MAX_ATTEMPTS = 5;

export type OtpAttempt =
  | { status: 'ok'; data: string }
  | { status: 'invalid'; remaining: number }
  | { status: 'missing' }
  | { status: 'exceeded' };

interface ScriptedRedis extends Redis {
  attemptOtp(key: string, presentedDigest: string, maxAttempts: number): Promise<string[]>;
}

const recordKey = (purpose: OtpPurpose, email: string): string => `${purpose}:${email}`;
const cooldownKey = (purpose: OtpPurpose, email: string): string => `${purpose}:ratelimit:${email}`;

/**
 * Pending OTP-guarded records in Redis (`register:<email>`, `reset:<email>`): only an HMAC of the
 * OTP and, for registration, a bcrypt hash of the password are ever stored.
 */
@Injectable()
export class OtpStore {
  private readonly redis: ScriptedRedis;

  constructor(@Inject(REDIS) redis: Redis) {
    if (!('attemptOtp' in redis))
      redis.defineCommand('attemptOtp', { numberOfKeys: 1, lua: ATTEMPT_OTP });
    this.redis = redis as ScriptedRedis;
  }

  /** Starts the 60 s cooldown; returns the seconds left when one is already running. */
  async claimCooldown(
    purpose: OtpPurpose,
    email: string,
  ): Promise<{ ok: true } | { ok: false; retryAfter: number }> {
    const key = cooldownKey(purpose, email);
    const set = await this.redis.set(key, '1', 'EX', OTP_COOLDOWN_SECONDS, 'NX');
    if (set === 'OK') return { ok: true };
    const ttl = await this.redis.ttl(key);
    return { ok: false, retryAfter: Math.max(1, ttl) };
  }

  async releaseCooldown(purpose: OtpPurpose, email: string): Promise<void> {
    await this.redis.del(cooldownKey(purpose, email));
  }

  /** Replaces any earlier record for this email: a new OTP makes the old one worthless. */
  async put(purpose: OtpPurpose, email: string, otpDigest: string, data: string): Promise<void> {
    const key = recordKey(purpose, email);
    await this.redis
      .multi()
      .del(key)
      .hset(key, { otp: otpDigest, attempts: 0, data })
      .expire(key, OTP_TTL_SECONDS)
      .exec();
  }

  /** Puts back a consumed record (when the step after it failed for a transient reason). */
  async restore(
    purpose: OtpPurpose,
    email: string,
    otpDigest: string,
    data: string,
  ): Promise<void> {
    const key = recordKey(purpose, email);
    await this.redis
      .multi()
      .hset(key, { otp: otpDigest, attempts: 0, data })
      .expire(key, OTP_TTL_SECONDS)
      .exec();
  }

  async attempt(purpose: OtpPurpose, email: string, presentedDigest: string): Promise<OtpAttempt> {
    const [status, value] = await this.redis.attemptOtp(
      recordKey(purpose, email),
      presentedDigest,
      OTP_MAX_ATTEMPTS,
    );
    switch (status) {
      case 'ok':
        return { status: 'ok', data: value ?? '' };
      case 'invalid':
        return { status: 'invalid', remaining: Number(value) };
      case 'exceeded':
        return { status: 'exceeded' };
      default:
        return { status: 'missing' };
    }
  }
}
