import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestIdOf } from '../../infra/http/request-id';
import { classifyError } from './classify-error';
import { sendError } from './error-envelope';

/** The one place an HTTP failure becomes the contract's error body. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const answer = classifyError(exception);
    const requestId = requestIdOf(req);
    // The request-scoped logger already binds `requestId` to these lines.
    if (answer.unexpected) {
      this.logger.error({ err: exception, path: req.path }, 'Unhandled error');
    } else if (answer.status >= 500) {
      this.logger.warn(
        { path: req.path, code: answer.code, reason: describe(exception) },
        'Dependency failure',
      );
    }
    if (
      answer.code === 'RATE_LIMITED' &&
      !answer.headers?.['Retry-After'] &&
      !res.getHeader('Retry-After')
    ) {
      answer.headers = { ...answer.headers, 'Retry-After': String(retryAfterFrom(res)) };
    }
    sendError(res, answer, requestId);
  }
}

function describe(exception: unknown): string {
  return exception instanceof Error ? `${exception.name}: ${exception.message}` : 'unknown';
}

/** @nestjs/throttler sets `Retry-After-<name>` for named throttlers; the contract wants plain `Retry-After`. */
function retryAfterFrom(res: Response): number {
  for (const [name, value] of Object.entries(res.getHeaders())) {
    if (name.toLowerCase().startsWith('retry-after') && value !== undefined) {
      const seconds = Number(value);
      if (Number.isFinite(seconds) && seconds > 0) return Math.ceil(seconds);
    }
  }
  return 1;
}
