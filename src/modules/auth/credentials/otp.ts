import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

export type OtpPurpose = 'register' | 'reset';

export const OTP_LENGTH = 6;
const OTP_FORMAT = /^[0-9]{6}$/;
/** Bump when the message layout changes: old digests then simply stop matching. */
const DOMAIN = 'baat-cheet/otp/v1';

/** Canonical form of an email for OTP binding (the API normalises emails to lower case). */
export function normaliseOtpEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * One-time codes for registration and password reset. Only `digest(...)` is stored: an HMAC
 * keyed by the OTP secret and bound to purpose and email, so a leaked store neither reveals the
 * code (a 6-digit code is trivially brute-forced from a plain hash) nor lets a digest be replayed
 * for another email or purpose.
 */
export class OtpCodec {
  constructor(private readonly secret: string) {
    if (typeof secret !== 'string' || secret.length === 0) {
      throw new Error('OtpCodec: secret must be a non-empty string');
    }
  }

  /** Six uniformly random digits, zero-padded ("004217"). */
  generate(): string {
    return randomInt(0, 1_000_000).toString().padStart(OTP_LENGTH, '0');
  }

  /** Hex HMAC-SHA-256 over an unambiguous (JSON-array) encoding of domain, purpose, email and code. */
  digest(purpose: OtpPurpose, email: string, otp: string): string {
    const message = JSON.stringify([DOMAIN, purpose, normaliseOtpEmail(email), otp]);
    return createHmac('sha256', this.secret).update(message, 'utf8').digest('hex');
  }

  /**
   * Constant-time check of a presented code against a stored digest. False (never a throw) for
   * input that is not exactly six ASCII digits or a stored value of the wrong shape.
   */
  matches(
    purpose: OtpPurpose,
    email: string,
    otp: string,
    storedDigest: string | null | undefined,
  ): boolean {
    if (typeof otp !== 'string' || !OTP_FORMAT.test(otp)) return false;
    if (typeof email !== 'string' || typeof storedDigest !== 'string') return false;
    const expected = Buffer.from(this.digest(purpose, email, otp), 'utf8');
    const stored = Buffer.from(storedDigest, 'utf8');
    if (stored.length !== expected.length) return false;
    return timingSafeEqual(expected, stored);
  }
}

/** Whether `value` has the shape of a code (six ASCII digits); for early rejection of input. */
export function isWellFormedOtp(value: unknown): value is string {
  return typeof value === 'string' && OTP_FORMAT.test(value);
}
