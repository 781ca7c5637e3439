import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import type { Request } from 'express';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { AppConfig } from '../../config/app-config';
import { requestIdOf } from '../http/request-id';

/** Paths pino blanks out wherever they appear in a log line: credentials never reach the logs. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...[
    'password',
    'currentPassword',
    'newPassword',
    'token',
    'accessToken',
    'refreshToken',
    'otp',
    'secret',
  ].flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]),
];

function withDestination<T>(
  options: T,
  destination?: DestinationStream,
): T | [T, DestinationStream] {
  return destination ? [options, destination] : options;
}

@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig, destination?: DestinationStream): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: withDestination(
            {
              level: config.logLevel,
              redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
              genReqId: (req) => requestIdOf(req as Request),
              customAttributeKeys: { reqId: 'requestId' },
              autoLogging: {
                ignore: (req) => (req.url ?? '').startsWith('/health') || req.url === '/metrics',
              },
              serializers: {
                req: (req: { id: string; method: string; url: string }) => ({
                  id: req.id,
                  method: req.method,
                  // Query strings may carry tokens (signed URLs); log the path only.
                  url: req.url.split('?')[0],
                }),
                res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
              },
            },
            destination,
          ),
          forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
        }),
      ],
    };
  }
}
