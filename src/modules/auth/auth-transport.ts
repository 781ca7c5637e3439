import { Inject, Injectable } from '@nestjs/common';
import type { CookieOptions, Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import {
  ACCESS_COOKIE,
  REFRESH_COOKIE,
  REFRESH_COOKIE_PATH,
  type ClientInfo,
  type IssuedTokens,
} from './auth.types';

export interface BearerTokens {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: string;
  refreshTokenExpiresAt: string;
}

/**
 * How tokens travel: httpOnly cookies for the web (never in bodies), or in the body for clients
 * that send `X-Auth-Transport: bearer`.
 */
@Injectable()
export class AuthTransport {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  isBearer(req: Request): boolean {
    return (req.get('x-auth-transport') ?? '').trim().toLowerCase() === 'bearer';
  }

  /** Sets cookies (web) or returns the tokens for the body (bearer). */
  deliver(req: Request, res: Response, tokens: IssuedTokens): { tokens?: BearerTokens } {
    if (this.isBearer(req)) {
      return {
        tokens: {
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken,
          accessTokenExpiresAt: tokens.accessTokenExpiresAt.toISOString(),
          refreshTokenExpiresAt: tokens.refreshTokenExpiresAt.toISOString(),
        },
      };
    }
    res.cookie(ACCESS_COOKIE, tokens.accessToken, {
      ...this.cookieBase('/'),
      expires: tokens.accessTokenExpiresAt,
    });
    res.cookie(REFRESH_COOKIE, tokens.refreshToken, {
      ...this.cookieBase(REFRESH_COOKIE_PATH),
      expires: tokens.refreshTokenExpiresAt,
    });
    return {};
  }

  /** Clears both cookies with the attributes they were set with, or browsers keep them. */
  clear(res: Response): void {
    res.clearCookie(ACCESS_COOKIE, this.cookieBase('/'));
    res.clearCookie(REFRESH_COOKIE, this.cookieBase(REFRESH_COOKIE_PATH));
  }

  /** The refresh token of this request: body in bearer mode, cookie otherwise. */
  refreshTokenOf(
    req: Request,
    bodyToken: string | undefined,
  ): { token?: string; viaCookie: boolean } {
    if (this.isBearer(req) || bodyToken !== undefined)
      return { token: bodyToken, viaCookie: false };
    const cookie: unknown = (req.cookies as Record<string, unknown> | undefined)?.[REFRESH_COOKIE];
    const token = typeof cookie === 'string' && cookie ? cookie : undefined;
    // Only a request that really carries the cookie is cookie-authenticated (and CSRF-checked).
    return { token, viaCookie: token !== undefined };
  }

  clientInfo(req: Request): ClientInfo {
    return {
      ip: req.ip ?? req.socket.remoteAddress ?? 'unknown',
      userAgent: req.get('user-agent') ?? '',
    };
  }

  private cookieBase(path: string): CookieOptions {
    return {
      httpOnly: true,
      secure: this.config.cookies.secure,
      sameSite: this.config.cookies.sameSite,
      domain: this.config.cookies.domain,
      path,
    };
  }
}
