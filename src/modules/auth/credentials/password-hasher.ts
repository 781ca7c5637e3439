import { Injectable, OnModuleInit } from '@nestjs/common';
import * as bcrypt from 'bcrypt';
import { createHmac, randomBytes } from 'node:crypto';

export interface PasswordHasherOptions {
  /** HMAC key mixed in before bcrypt. Changing it invalidates every stored hash. */
  pepper: string;
  /** bcrypt cost factor (log2 rounds), 4–31. */
  cost: number;
}

/** `$2a$`/`$2b$`/`$2y$`, two-digit cost, 22 salt + 31 hash characters of bcrypt's base64. */
const BCRYPT_HASH = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;

/**
 * bcrypt over `base64(HMAC-SHA-384(pepper, password))`. The pre-hash keeps every byte of a long
 * password significant (bcrypt silently ignores everything after byte 72, and stops at a NUL),
 * and base64 keeps the 48-byte MAC to 64 NUL-free ASCII bytes. The pepper lives only in config,
 * so a leaked database alone cannot be cracked offline.
 *
 * Provided through DI with `useFactory: (config: AppConfig) => new PasswordHasher({ pepper:
 * config.auth.passwordPepper, cost: config.auth.bcryptCost })`.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly pepper: string;
  private readonly cost: number;
  private dummyHash?: Promise<string>;

  constructor(options: PasswordHasherOptions) {
    if (typeof options.pepper !== 'string' || options.pepper.length === 0) {
      throw new Error('PasswordHasher: pepper must be a non-empty string');
    }
    if (!Number.isInteger(options.cost) || options.cost < 4 || options.cost > 31) {
      throw new Error('PasswordHasher: cost must be an integer between 4 and 31');
    }
    this.pepper = options.pepper;
    this.cost = options.cost;
  }

  /** Precomputes the dummy hash at boot so the first unknown-user login is not slower than others. */
  async onModuleInit(): Promise<void> {
    await this.getDummyHash();
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(this.preHash(password), this.cost);
  }

  /** True when `password` matches `hash`; false (never a throw) for a wrong password or a malformed hash. */
  async verify(password: string, hash: string): Promise<boolean> {
    if (typeof password !== 'string' || typeof hash !== 'string' || !BCRYPT_HASH.test(hash)) {
      return false;
    }
    try {
      return await bcrypt.compare(this.preHash(password), hash);
    } catch {
      return false;
    }
  }

  /**
   * Spends the time of a real `verify` and answers false: used when the user does not exist, so
   * the response time does not tell an attacker which accounts exist.
   */
  async verifyAgainstDummy(password: string): Promise<false> {
    await this.verify(typeof password === 'string' ? password : '', await this.getDummyHash());
    return false;
  }

  /** True when `hash` was made with another cost than the configured one (or is not a bcrypt hash). */
  needsRehash(hash: string): boolean {
    const match = typeof hash === 'string' ? BCRYPT_HASH.exec(hash) : null;
    return !match || Number(match[1]) !== this.cost;
  }

  private preHash(password: string): string {
    return createHmac('sha384', this.pepper).update(password, 'utf8').digest('base64');
  }

  private getDummyHash(): Promise<string> {
    // Memoise the promise (not the value) so concurrent first callers share one computation;
    // forget a failure so a later call can retry.
    this.dummyHash ??= this.hash(randomBytes(32).toString('base64url')).catch((error: unknown) => {
      this.dummyHash = undefined;
      throw error;
    });
    return this.dummyHash;
  }
}
