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
    if (!account || account.email !== email) return;
    const otp = this.otps.generate();
    await this.store.put('reset', email, this.otps.digest('reset', email, otp), account.id);
    await this.mail.sendPasswordResetOtp({ to: email, otp, expiresInSeconds: OTP_TTL_SECONDS });
  }

  async reset(input: { email: string; otp: string; password: string }): Promise<void> {
    const email = input.email.trim().toLowerCase();
    const account = await this.users.findAccountByLogin(email);
    if (account)
      this.policy.assertAcceptable(input.password, { username: account.username, email });
    const attempt = await this.store.attempt(
      'reset',
      email,
      this.otps.digest('reset', email, input.otp),
    );
    if (attempt.status === 'missing' || !account)
      throw new AppException('OTP_EXPIRED', 'The code expired; ask for a new one');
    if (attempt.status === 'exceeded')
      throw new AppException('OTP_ATTEMPTS_EXCEEDED', 'Too many wrong codes; ask for a new one');
    if (attempt.status === 'invalid')
      throw new AppException('OTP_INVALID', `Wrong code (${attempt.remaining} tries left)`);
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
