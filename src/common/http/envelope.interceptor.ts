import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { map, type Observable } from 'rxjs';
import { RESPONSE_MESSAGE } from '../decorators/response-message.decorator';
import { Page } from './page';

export interface SuccessEnvelope<T> {
  success: true;
  message: string;
  data: T;
  page?: { nextCursor: string | null };
}

/** Wraps every handler result in the contract's success envelope. */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const message =
      this.reflector.getAllAndOverride<string | undefined>(RESPONSE_MESSAGE, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'OK';
    return next.handle().pipe(
      map((result: unknown): SuccessEnvelope<unknown> => {
        if (result instanceof Page) {
          return {
            success: true,
            message,
            data: result.items,
            page: { nextCursor: result.nextCursor },
          };
        }
        return { success: true, message, data: result ?? null };
      }),
    );
  }
}
