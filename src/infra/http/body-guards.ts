import type { NextFunction, Request, Response } from 'express';
import { sendError } from '../../common/errors/error-envelope';
import { findHostileKeys } from '../../common/validation/hostile-input';
import { requestIdOf } from './request-id';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;
const MAX_BODY_DEPTH = 32;

function hasBody(req: Request): boolean {
  const length = req.get('content-length');
  return req.get('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}

/** A body in any other type than JSON gets 415 instead of being silently ignored. */
export function requireJsonContentType(exemptPathPrefixes: readonly string[] = []) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!METHODS_WITH_BODY.has(req.method) || !hasBody(req)) return next();
    if (exemptPathPrefixes.some((prefix) => req.path.startsWith(prefix))) return next();
    const type = req.get('content-type') ?? '';
    if (JSON_TYPE.test(type)) return next();
    sendError(
      res,
      { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the body as application/json' },
      requestIdOf(req),
    );
  };
}

/**
 * `__proto__` / `constructor` keys and absurd nesting are refused before anything copies the body,
 * so no later merge or transform can pollute a prototype.
 */
export function rejectHostileBody(req: Request, res: Response, next: NextFunction): void {
  const found = findHostileKeys(req.body, MAX_BODY_DEPTH, '(body)');
  if (found.length === 0) return next();
  sendError(
    res,
    { status: 422, code: 'VALIDATION_FAILED', message: 'Validation failed', details: found },
    requestIdOf(req),
  );
}

/** `?a=1&a=2` is a 422, never an array that slips past a DTO expecting a string. */
export function rejectDuplicateQueryParams(req: Request, res: Response, next: NextFunction): void {
  const duplicated = Object.entries(req.query as Record<string, unknown>)
    .filter(([, value]) => Array.isArray(value) || (value !== null && typeof value === 'object'))
    .map(([field]) => ({ field, message: 'query parameter given more than once or as an object' }));
  if (duplicated.length === 0) return next();
  sendError(
    res,
    { status: 422, code: 'VALIDATION_FAILED', message: 'Validation failed', details: duplicated },
    requestIdOf(req),
  );
}
