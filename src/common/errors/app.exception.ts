import { ErrorCode, statusOf } from './error-codes';

export interface ErrorDetail {
  field: string;
  message: string;
}

/**
 * The only exception services throw. It knows nothing about HTTP or sockets: each transport's
 * filter turns `code` into its own answer.
 */
export class AppException extends Error {
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: ErrorDetail[],
    /** Extra response headers the transport should set (e.g. Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(message ?? defaultMessage(code));
    this.name = 'AppException';
  }

  get status(): number {
    return statusOf(this.code);
  }
}

function defaultMessage(code: ErrorCode): string {
  const words = code.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
