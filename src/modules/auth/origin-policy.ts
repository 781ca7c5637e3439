import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { AppException } from '../../common/errors/app.exception';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function originOfReferer(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

/**
 * CSRF defence for cookie authentication: a browser always sends Origin (or at least Referer)
 * on cross-site state-changing requests, so a cookie-authenticated one must name an allowed origin.
 */
@Injectable()
export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.allowed = new Set(config.http.corsOrigins);
  }

  isStateChanging(req: Request): boolean {
    return !SAFE_METHODS.has(req.method);
  }

  /** For requests that a cookie authenticates: an allowed Origin/Referer is required. */
  assertCookieRequestAllowed(req: Request): void {
    if (!this.isStateChanging(req)) return;
    const origin = req.get('origin') ?? originOfReferer(req.get('referer'));
    if (!origin || !this.allowed.has(origin)) {
      throw new AppException(
        'CSRF_ORIGIN_REJECTED',
        'Cross-site request refused: origin not allowed',
      );
    }
  }

  /** For requests that set cookies (login, verify): a browser-sent foreign Origin is refused (login CSRF). */
  assertNoForeignOrigin(req: Request): void {
    const origin = req.get('origin') ?? originOfReferer(req.get('referer'));
    if (origin !== undefined && !this.allowed.has(origin)) {
      throw new AppException(
        'CSRF_ORIGIN_REJECTED',
        'Cross-site request refused: origin not allowed',
      );
    }
  }
}
