/**
 * Every stable error code the API can answer with, and its HTTP status. Services throw
 * `AppException(code)`; the HTTP filter and the WebSocket filter map the code from here.
 * Modules add their codes to this one table so a code means the same thing everywhere.
 */
export const ERROR_CODES = {
  // generic
  MALFORMED_JSON: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  CSRF_ORIGIN_REJECTED: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  HEADERS_TOO_LARGE: 431,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_FAILED: 422,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  DEPENDENCY_UNAVAILABLE: 503,

  // auth
  USERNAME_TAKEN: 409,
  EMAIL_TAKEN: 409,
  OTP_RATE_LIMITED: 429,
  OTP_INVALID: 400,
  OTP_EXPIRED: 400,
  OTP_ATTEMPTS_EXCEEDED: 400,
  INVALID_CREDENTIALS: 401,
  LOGIN_RATE_LIMITED: 429,
  TOKEN_EXPIRED: 401,
  REFRESH_TOKEN_INVALID: 401,
  REFRESH_TOKEN_REUSED: 401,
  SESSION_NOT_FOUND: 404,
  WEAK_PASSWORD: 422,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code];
}
