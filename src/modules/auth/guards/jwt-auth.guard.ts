import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { IS_PUBLIC } from '../../../common/decorators/public.decorator';
import { AppException } from '../../../common/errors/app.exception';
import type { AuthContext } from '../auth.types';
import { OriginPolicy } from '../origin-policy';

/**
 * Global guard: every route needs a live access token unless marked @Public(). A request that a
 * cookie authenticates must also pass the CSRF origin check when it changes state.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly origins: OriginPolicy,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    await (super.canActivate(context) as Promise<boolean>);
    const req = context.switchToHttp().getRequest<Request & { user: AuthContext }>();
    if (req.user.transport === 'cookie') this.origins.assertCookieRequestAllowed(req);
    return true;
  }

  override handleRequest<T>(error: unknown, user: T, info: unknown): T {
    if (error instanceof Error) throw error;
    if (!user) {
      const expired = info instanceof Error && info.name === 'TokenExpiredError';
      throw expired
        ? new AppException('TOKEN_EXPIRED', 'Access token expired')
        : new AppException('UNAUTHORIZED', 'Authentication required');
    }
    return user;
  }
}
