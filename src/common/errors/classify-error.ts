import { HttpException, HttpStatus } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { AppException } from './app.exception';
import type { ErrorCode } from './error-codes';
import type { ErrorAnswer } from './error-envelope';

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  [HttpStatus.BAD_REQUEST]: 'BAD_REQUEST',
  [HttpStatus.UNAUTHORIZED]: 'UNAUTHORIZED',
  [HttpStatus.FORBIDDEN]: 'FORBIDDEN',
  [HttpStatus.NOT_FOUND]: 'NOT_FOUND',
  [HttpStatus.METHOD_NOT_ALLOWED]: 'METHOD_NOT_ALLOWED',
  [HttpStatus.CONFLICT]: 'CONFLICT',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'PAYLOAD_TOO_LARGE',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'UNSUPPORTED_MEDIA_TYPE',
  [HttpStatus.UNPROCESSABLE_ENTITY]: 'VALIDATION_FAILED',
  [HttpStatus.TOO_MANY_REQUESTS]: 'RATE_LIMITED',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'DEPENDENCY_UNAVAILABLE',
};

const GENERIC_MESSAGES: Partial<Record<ErrorCode, string>> = {
  BAD_REQUEST: 'Bad request',
  UNAUTHORIZED: 'Authentication required',
  FORBIDDEN: 'Not allowed',
  NOT_FOUND: 'Not found',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  CONFLICT: 'Conflict',
  PAYLOAD_TOO_LARGE: 'Request body too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  VALIDATION_FAILED: 'Validation failed',
  RATE_LIMITED: 'Too many requests',
  DEPENDENCY_UNAVAILABLE: 'A dependency is unavailable, try again shortly',
};

/** Errors raised by body-parser / raw-body carry a `type` and an HTTP status. */
interface BodyParserError {
  type: string;
  status?: number;
  statusCode?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError & Error {
  return (
    error instanceof Error &&
    typeof (error as Partial<BodyParserError>).type === 'string' &&
    typeof (
      (error as Partial<BodyParserError>).status ?? (error as Partial<BodyParserError>).statusCode
    ) === 'number'
  );
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

const CONNECTION_ERROR_MESSAGES = [
  'Connection is closed',
  "Stream isn't writeable",
  'Connection terminated',
  'connection terminated',
  'Client has encountered a connection error',
  'timeout exceeded when trying to connect',
  'Command timed out',
  'Reached the max retries per request limit',
  'Cannot use a pool after calling end',
  'PGlite is closed',
];

interface ErrorLike {
  name?: unknown;
  message: string;
  code?: unknown;
  cause?: unknown;
}

/**
 * Duck-typed rather than `instanceof Error`: socket errors are created by Node's own realm, which
 * is not the realm of the code that wraps them under a test runner's VM (Jest).
 */
function isErrorLike(value: unknown): value is ErrorLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** True when the error (or one it wraps) means PostgreSQL or Redis is unreachable. */
export function isDependencyDownError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && isErrorLike(current); depth += 1) {
    const { code, message } = current;
    if (typeof code === 'string' && (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08')))
      return true;
    if (current.name === 'MaxRetriesPerRequestError') return true;
    if (CONNECTION_ERROR_MESSAGES.some((fragment) => message.includes(fragment))) return true;
    current = current.cause;
  }
  return false;
}

/**
 * PostgreSQL refusing a text value it cannot store: a NUL character (22021, "invalid byte sequence")
 * or a character the database encoding lacks (22P05). The client sent it, so it is their 422.
 */
const UNSTORABLE_TEXT_CODES = new Set(['22021', '22P05']);

export function isUnstorableTextError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && isErrorLike(current); depth += 1) {
    if (typeof current.code === 'string' && UNSTORABLE_TEXT_CODES.has(current.code)) return true;
    current = current.cause;
  }
  return false;
}

function fromBodyParser(error: BodyParserError & Error): ErrorAnswer {
  switch (error.type) {
    case 'entity.parse.failed':
      return { status: 400, code: 'MALFORMED_JSON', message: 'The request body is not valid JSON' };
    case 'entity.too.large':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Request body too large' };
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return {
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Unsupported body encoding or charset',
      };
    case 'request.aborted':
    case 'request.size.invalid':
      return { status: 400, code: 'BAD_REQUEST', message: 'The request body was incomplete' };
    default: {
      const status = error.status ?? error.statusCode ?? 400;
      const code = STATUS_CODES[status] ?? 'BAD_REQUEST';
      return {
        status: status >= 500 ? 400 : status,
        code,
        message: GENERIC_MESSAGES[code] ?? 'Bad request',
      };
    }
  }
}

function fromHttpException(error: HttpException): ErrorAnswer {
  const status = error.getStatus();
  if (error instanceof ThrottlerException) {
    return { status: 429, code: 'RATE_LIMITED', message: 'Too many requests, slow down' };
  }
  if (status === 404 && /^Cannot [A-Z]+ /.test(error.message)) {
    return { status, code: 'ROUTE_NOT_FOUND', message: 'No such route' };
  }
  const code = STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
  if (status >= 500) {
    return { status, code, message: GENERIC_MESSAGES[code] ?? 'Internal server error' };
  }
  return { status, code, message: GENERIC_MESSAGES[code] ?? error.message };
}

/** Maps anything thrown into the contract's error answer. Unknown errors become a generic 500. */
export function classifyError(error: unknown): ErrorAnswer & { unexpected: boolean } {
  if (error instanceof AppException) {
    return {
      status: error.status,
      code: error.code,
      message: error.message,
      details: error.details,
      headers: error.headers,
      unexpected: false,
    };
  }
  if (error instanceof HttpException) return { ...fromHttpException(error), unexpected: false };
  if (isBodyParserError(error)) return { ...fromBodyParser(error), unexpected: false };
  if (isUnstorableTextError(error)) {
    return {
      status: 422,
      code: 'VALIDATION_FAILED',
      message: 'The request contains text that cannot be stored (such as a NUL character)',
      unexpected: false,
    };
  }
  if (isDependencyDownError(error)) {
    return {
      status: 503,
      code: 'DEPENDENCY_UNAVAILABLE',
      message: GENERIC_MESSAGES.DEPENDENCY_UNAVAILABLE ?? 'Unavailable',
      headers: { 'Retry-After': '5' },
      unexpected: false,
    };
  }
  return {
    status: 500,
    code: 'INTERNAL_ERROR',
    message: 'Internal server error',
    unexpected: true,
  };
}
