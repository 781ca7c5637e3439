import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import type { SelfUserDto } from '../users/users.mapper';
import { UsersService } from '../users/users.service';
import type { AuthContext, ClientInfo, IssuedTokens } from './auth.types';
import { PasswordHasher } from './credentials/password-hasher';
import { LoginLimiterService } from './login-limiter.service';
import { SessionsService } from './sessions/sessions.service';
import { AccessDenylistService } from './tokens/access-denylist.service';

/** Login, refresh and logout: the life of a session. */
@Injectable()
export class LoginService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly limiter: LoginLimiterService,
    private readonly sessions: SessionsService,
    private readonly denylist: AccessDenylistService,
  ) {}

  /** Same answer, and about the same time, for an unknown login and a wrong password. */
  async login(
    input: { login: string; password: string },
    client: ClientInfo,
  ): Promise<{ user: SelfUserDto; tokens: IssuedTokens }> {
    await this.limiter.beforeAttempt(input.login, client.ip);
    const account = await this.users.findAccountByLogin(input.login);
    const valid = account
      ? await this.hasher.verify(input.password, account.passwordHash)
      : await this.hasher.verifyAgainstDummy(input.password);
    if (!account || !valid) {
      await this.limiter.recordFailure(input.login, client.ip);
      throw new AppException('INVALID_CREDENTIALS', 'Wrong email/username or password');
    }
    await this.limiter.recordSuccess(input.login, client.ip);
    if (this.hasher.needsRehash(account.passwordHash)) {
      await this.users.changePasswordHash(account.id, await this.hasher.hash(input.password));
    }
    const tokens = await this.sessions.create(account.id, client);
    return { user: await this.users.getSelf(account.id), tokens };
  }

  async refresh(refreshToken: string | undefined): Promise<IssuedTokens> {
    if (!refreshToken) throw new AppException('REFRESH_TOKEN_INVALID', 'Refresh token missing');
    return this.sessions.rotate(refreshToken);
  }

  /** Ends the caller's session; in bearer mode the given refresh token's session too, if it is the caller's. */
  async logout(auth: AuthContext, refreshToken?: string): Promise<void> {
    await this.denylist.deny(auth.jti, auth.exp);
    await this.sessions.revoke(auth.userId, auth.sessionId, 'logout');
    if (refreshToken) {
      const named = this.safeSessionOf(refreshToken);
      if (named && named.userId === auth.userId && named.sessionId !== auth.sessionId) {
        await this.sessions.revoke(named.userId, named.sessionId, 'logout');
      }
    }
  }

  async logoutAll(auth: AuthContext): Promise<number> {
    await this.denylist.deny(auth.jti, auth.exp);
    return this.sessions.revokeAll(auth.userId, 'logout-all');
  }

  private safeSessionOf(refreshToken: string): { userId: string; sessionId: string } | undefined {
    try {
      return this.sessions.sessionOfRefreshToken(refreshToken);
    } catch {
      return undefined;
    }
  }
}
