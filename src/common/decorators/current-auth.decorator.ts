import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { AuthContext } from '../auth/auth-context';

/** The authenticated caller of this request (set by JwtAuthGuard). */
export const CurrentAuth = createParamDecorator(
  (_: unknown, context: ExecutionContext): AuthContext => {
    const req = context.switchToHttp().getRequest<Request & { user?: AuthContext }>();
    if (!req.user) throw new Error('CurrentAuth used on a route without authentication');
    return req.user;
  },
);
