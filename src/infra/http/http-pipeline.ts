import type { NestExpressApplication } from '@nestjs/platform-express';
import compression from 'compression';
import cookieParser from 'cookie-parser';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import type { AppConfig } from '../../config/app-config';
import { classifyError } from '../../common/errors/classify-error';
import { sendError } from '../../common/errors/error-envelope';
import { MetricsService } from '../metrics/metrics.service';
import {
  rejectDuplicateQueryParams,
  rejectHostileBody,
  requireJsonContentType,
} from './body-guards';
import { requestIdMiddleware, requestIdOf } from './request-id';

export const API_PREFIX = 'api/v1';
export const DOCS_PATH = 'docs';

/** Paths whose body is not JSON (streamed uploads); they opt out of the JSON parser and the 415 check. */
export const RAW_BODY_PATH_PREFIXES: string[] = ['/api/v1/media/local/'];

/**
 * The express middleware chain, in the order it must run. Body-parser errors are answered here
 * in the contract's shape, since they happen before Nest's exception filters can see them.
 */
export function configureHttpPipeline(app: NestExpressApplication, config: AppConfig): void {
  const metrics = app.get(MetricsService);
  app.set('trust proxy', config.http.trustProxy === 0 ? false : config.http.trustProxy);
  app.set('query parser', 'simple');
  app.disable('x-powered-by');
  // No client revalidates (neither the SDK nor the web client sends If-None-Match): a SHA-1 of
  // every response body bought nothing.
  app.set('etag', false);

  app.use(requestIdMiddleware);
  app.use(httpMetricsMiddleware(metrics));
  const docsHeaders = helmet({ contentSecurityPolicy: DOCS_CSP, hsts: config.isProduction });
  const apiHeaders = apiHelmet(config);
  app.use((req: Request, res: Response, next: NextFunction) =>
    (req.path.startsWith(`/${DOCS_PATH}`) ? docsHeaders : apiHeaders)(req, res, next),
  );
  app.enableCors({
    origin: (origin, callback) =>
      callback(null, origin !== undefined && config.http.corsOrigins.includes(origin)),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: [
      'Content-Type',
      'Authorization',
      'X-Request-Id',
      'X-Auth-Transport',
      'Idempotency-Key',
    ],
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    maxAge: 600,
  });
  app.use(compression());
  app.use(cookieParser());
  app.use(requireJsonContentType(RAW_BODY_PATH_PREFIXES));
  app.use(
    express.json({
      limit: config.http.jsonBodyLimit,
      strict: true,
      type: (req) =>
        !RAW_BODY_PATH_PREFIXES.some((prefix) => (req.url ?? '').startsWith(prefix)) &&
        /json/i.test(String(req.headers['content-type'] ?? '')),
    }),
  );
  app.use(bodyParserErrorHandler);
  app.use(rejectHostileBody);
  app.use(rejectDuplicateQueryParams);
}

function apiHelmet(config: AppConfig): ReturnType<typeof helmet> {
  return helmet({
    // An API answers JSON; nothing it serves should load, frame or run anything.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    hsts: config.isProduction ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
}

/** Swagger UI needs its own scripts and styles; still nothing from elsewhere. */
const DOCS_CSP: HelmetOptions['contentSecurityPolicy'] = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    frameAncestors: ["'none'"],
  },
};

function httpMetricsMiddleware(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const stop = metrics.httpDuration.startTimer();
    res.once('finish', () => {
      stop({ method: req.method, route: routeTemplate(req), status_code: String(res.statusCode) });
    });
    next();
  };
}

/**
 * The matched route's template (`/api/v1/users/:id`), never the raw path. Nest mounts `forRoutes`
 * middleware (the request logger) with `app.all`, a route for every method, which leaves
 * `req.route` at its `{*splat}` path when no handler matches; handlers are routes of one method.
 */
function routeTemplate(req: Request): string {
  const route = req.route as { path?: unknown; methods?: Record<string, boolean> } | undefined;
  const methods = Object.keys(route?.methods ?? {}).length;
  if (typeof route?.path !== 'string' || methods !== 1) return 'unmatched';
  return `${req.baseUrl}${route.path}`;
}

function bodyParserErrorHandler(
  error: unknown,
  req: Request,
  res: Response,
  next: NextFunction,
): void {
  if (!error) return next();
  sendError(res, classifyError(error), requestIdOf(req));
}
