import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy, type JwtFromRequestFunction } from 'passport-jwt';
import { AppException } from '../../../common/errors/app.exception';
import { ACCESS_COOKIE, type AuthContext } from '../auth.types';
import { AccessDenylistService } from '../tokens/access-denylist.service';
import { MAX_TOKEN_LENGTH, TokenService } from '../tokens/token.service';

// The scheme is case-insensitive (RFC 9110 §11.1); the token is base64url segments.
const BEARER = /^Bearer ([A-Za-z0-9_.-]+)$/i;

/** Bearer header first (mobile / API clients), else the httpOnly cookie (web). */
export function extractAccessToken(
  req: Request,
): { token: string; transport: AuthContext['transport'] } | null {
  const header = req.get('authorization');
  if (header !== undefined) {
    const match = BEARER.exec(header.trim());
    return match && match[1].length <= MAX_TOKEN_LENGTH
      ? { token: match[1], transport: 'bearer' }
      : null;
  }
  const cookie: unknown = (req.cookies as Record<string, unknown> | undefined)?.[ACCESS_COOKIE];
  // Same bound as TokenService.verifyAccess, so HTTP and the socket handshake agree.
  return typeof cookie === 'string' && cookie.length > 0 && cookie.length <= MAX_TOKEN_LENGTH
    ? { token: cookie, transport: 'cookie' }
    : null;
}

const fromRequest: JwtFromRequestFunction = (req: Request) =>
  extractAccessToken(req)?.token ?? null;

/**
 * passport-jwt verifies signature, pinned algorithm, iss, aud and expiry with TokenService's
 * options; `validate` adds the `typ` check and the per-request Redis check (denylist, session alive).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly tokens: TokenService,
    private readonly denylist: AccessDenylistService,
  ) {
    super({ jwtFromRequest: fromRequest, passReqToCallback: true, ...tokens.accessVerifyOptions });
  }

  async validate(req: Request, complete: unknown): Promise<AuthContext> {
    const claims = this.tokens.accessClaimsOf(complete);
    if (!(await this.denylist.isLive(claims.jti, claims.sub, claims.sid))) {
      throw new AppException('UNAUTHORIZED', 'Session revoked or signed out');
    }
    const transport = extractAccessToken(req)?.transport ?? 'bearer';
    return {
      userId: claims.sub,
      sessionId: claims.sid,
      jti: claims.jti,
      exp: claims.exp,
      transport,
    };
  }
}
