import { Injectable, Logger } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { isDependencyDownError } from '../../common/errors/classify-error';
import { MailService } from '../mail/mail.service';
import type { SelfUserDto } from '../users/users.mapper';
import { UsersService } from '../users/users.service';
import type { ClientInfo, IssuedTokens } from './auth.types';
import { OtpCodec } from './credentials/otp';
import { PasswordHasher } from './credentials/password-hasher';
import { PasswordPolicy } from './credentials/password-policy';
import { OTP_TTL_SECONDS, OtpStore } from './otp/otp.store';
import { SessionsService } from './sessions/sessions.service';

interface PendingRegistration {
  username: string;
  email: string;
  passwordHash: string;
}

/** Register with an emailed OTP: nothing reaches PostgreSQL until the code is verified. */
@Injectable()
export class RegistrationService {
  private readonly logger = new Logger('Registration');

  constructor(
    private readonly users: UsersService,
    private readonly policy: PasswordPolicy,
    private readonly hasher: PasswordHasher,
    private readonly otps: OtpCodec,
    private readonly store: OtpStore,
    private readonly mail: MailService,
    private readonly sessions: SessionsService,
  ) {}

  async register(input: {
    username: string;
    email: string;
    password: string;
  }): Promise<{ email: string; expiresInSeconds: number }> {
    const email = input.email.trim().toLowerCase();
    const username = input.username;
    this.policy.assertAcceptable(input.password, { username, email });
    await this.users.assertAvailable(username, email);
    const cooldown = await this.store.claimCooldown('register', email);
    if (!cooldown.ok) {
      throw new AppException(
        'OTP_RATE_LIMITED',
        'An OTP was sent recently; wait before asking again',
        undefined,
        {
          'Retry-After': String(cooldown.retryAfter),
        },
      );
    }
    try {
      const passwordHash = await this.hasher.hash(input.password);
      const otp = this.otps.generate();
      const pending: PendingRegistration = { username, email, passwordHash };
      await this.store.put(
        'register',
        email,
        this.otps.digest('register', email, otp),
        JSON.stringify(pending),
      );
      await this.mail.sendRegistrationOtp({
        to: email,
        username,
        otp,
        expiresInSeconds: OTP_TTL_SECONDS,
      });
    } catch (error) {
      // Nothing was sent: let the user try again at once instead of waiting out the cooldown.
      await this.store.releaseCooldown('register', email).catch(() => undefined);
      throw error;
    }
    return { email, expiresInSeconds: OTP_TTL_SECONDS };
  }

  async verify(
    input: { email: string; otp: string },
    client: ClientInfo,
  ): Promise<{ user: SelfUserDto; tokens: IssuedTokens }> {
    const email = input.email.trim().toLowerCase();
    const digest = this.otps.digest('register', email, input.otp);
    const attempt = await this.store.attempt('register', email, digest);
    if (attempt.status === 'missing')
      throw new AppException('OTP_EXPIRED', 'The code expired; register again');
    if (attempt.status === 'exceeded') {
      throw new AppException('OTP_ATTEMPTS_EXCEEDED', 'Too many wrong codes; register again');
    }
    if (attempt.status === 'invalid') {
      throw new AppException('OTP_INVALID', `Wrong code (${attempt.remaining} tries left)`);
    }
    const pending = JSON.parse(attempt.data) as PendingRegistration;
    let user: SelfUserDto;
    try {
      user = await this.users.createAccount(pending);
    } catch (error) {
      if (isDependencyDownError(error)) {
        // The code was consumed but the account wasn't written: keep the registration retryable.
        await this.store.restore('register', email, digest, attempt.data).catch(() => undefined);
      }
      throw error;
    }
    this.logger.log({ userId: user.id }, 'account created');
    const tokens = await this.sessions.create(user.id, client);
    return { user, tokens };
  }
}
