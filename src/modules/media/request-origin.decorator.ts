import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/**
 * `https://host[:port]` of this request (honouring TRUST_PROXY), used to build the local driver's
 * URLs when MEDIA_PUBLIC_BASE_URL is unset.
 */
export const RequestOrigin = createParamDecorator(
  (_: unknown, context: ExecutionContext): string => {
    const req = context.switchToHttp().getRequest<Request>();
    return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  },
);
