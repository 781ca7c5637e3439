import type { Response } from 'express';
import type { ErrorCode } from './error-codes';
import type { ErrorDetail } from './app.exception';

export interface ErrorEnvelope {
  success: false;
  error: { code: ErrorCode; message: string; details?: ErrorDetail[] };
  requestId: string;
}

export interface ErrorAnswer {
  status: number;
  code: ErrorCode;
  message: string;
  details?: ErrorDetail[];
  headers?: Record<string, string>;
}

export function buildErrorEnvelope(answer: ErrorAnswer, requestId: string): ErrorEnvelope {
  return {
    success: false,
    error: {
      code: answer.code,
      message: answer.message,
      ...(answer.details && answer.details.length > 0 ? { details: answer.details } : {}),
    },
    requestId,
  };
}

/** Writes the contract's error body. Used by the exception filter and by raw middleware alike. */
export function sendError(res: Response, answer: ErrorAnswer, requestId: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
  res.status(answer.status).json(buildErrorEnvelope(answer, requestId));
}
