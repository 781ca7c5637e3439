import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { MailService } from '../mail/mail.service';
import { UsersService } from '../users/users.service';
import type { AuthContext } from './auth.types';
import { OtpCodec } from './credentials/otp';
import { PasswordHasher } from './credentials/password-hasher';
import { PasswordPolicy } from './credentials/password-policy';
import { OTP_TTL_SECONDS, OtpStore } from './otp/otp.store';
import { SessionsService } from './sessions/sessions.service';

/** Forgotten, reset and changed passwords. */
@Injectable()
export class PasswordService {
  constructor(
    private readonly users: UsersService,
    private readonly policy: PasswordPolicy,
    private readonly hasher: PasswordHasher,
    private readonly otps: OtpCodec,
    private readonly store: OtpStore,
    private readonly mail: MailService,
    private readonly sessions: SessionsService,
  ) {}

  /**
   * The cooldown applies to every address, known or not, so neither the answer nor the 429
   * tells whether an account exists.
   */
  async forgot(rawEmail: string): Promise<void> {
    const email = rawEmail.trim().toLowerCase();
    const cooldown = await this.store.claimCooldown('reset', email);
    if (!cooldown.ok) {
      throw new AppException(
        'OTP_RATE_LIMITED',
        'A code was sent recently; wait before asking again',
        undefined,
        {
          'Retry-After': String(cooldown.retryAfter),
        },
      );
    }
    const account = await this.users.findAccountByLogin(email);
    if (!account || account.email !== email) {
      // A decoy record whose digest no code can match: reset-password then answers (wrong code,
      // attempts, exceeded) exactly as it does for a real account.
      await this.store.put('reset', email, randomBytes(32).toString('hex'), '');
      return;
    }
    const otp = this.otps.generate();
    await this.store.put('reset', email, this.otps.digest('reset', email, otp), account.id);
    await this.mail.sendPasswordResetOtp({ to: email, otp, expiresInSeconds: OTP_TTL_SECONDS });
  }

  /**
   * Answers the same for every address, known or not. The checks that need no account run before
   * the code is tried (a weak password costs no attempt); the username check needs the account,
   * so it waits for a valid code: run earlier, it would let anyone test an email against a
   * (public) username.
   */
  async reset(input: { email: string; otp: string; password: string }): Promise<void> {
    const email = input.email.trim().toLowerCase();
    this.policy.assertAcceptable(input.password, { email });
    const digest = this.otps.digest('reset', email, input.otp);
    const attempt = await this.store.attempt('reset', email, digest);
    if (attempt.status === 'missing')
      throw new AppException('OTP_EXPIRED', 'The code expired; ask for a new one');
    if (attempt.status === 'exceeded')
      throw new AppException('OTP_ATTEMPTS_EXCEEDED', 'Too many wrong codes; ask for a new one');
    if (attempt.status === 'invalid')
      throw new AppException('OTP_INVALID', `Wrong code (${attempt.remaining} tries left)`);
    const account = attempt.data ? await this.users.findAccountById(attempt.data) : undefined;
    if (!account || account.email !== email)
      throw new AppException('OTP_EXPIRED', 'The code expired; ask for a new one');
    const identity = { username: account.username, email };
    if (this.policy.check(input.password, identity).length > 0) {
      // The code was right: give it back so a better password can follow.
      await this.store.restore('reset', email, digest, attempt.data).catch(() => undefined);
      this.policy.assertAcceptable(input.password, identity);
    }
    await this.users.changePasswordHash(account.id, await this.hasher.hash(input.password));
    await this.sessions.revokeAll(account.id, 'password-reset');
    await this.mail.sendPasswordChanged({ to: account.email, username: account.username });
  }

  /** Needs the current password; every other session of the user is signed out. */
  async change(
    auth: AuthContext,
    input: { currentPassword: string; newPassword: string },
  ): Promise<void> {
    const account = await this.users.findAccountById(auth.userId);
    if (!account) throw new AppException('UNAUTHORIZED', 'Authentication required');
    if (!(await this.hasher.verify(input.currentPassword, account.passwordHash))) {
      throw new AppException('INVALID_CREDENTIALS', 'The current password is wrong');
    }
    this.policy.assertAcceptable(input.newPassword, {
      username: account.username,
      email: account.email,
    });
    await this.users.changePasswordHash(account.id, await this.hasher.hash(input.newPassword));
    await this.sessions.revokeAll(account.id, 'password-change', auth.sessionId);
    await this.mail.sendPasswordChanged({ to: account.email, username: account.username });
  }
}
