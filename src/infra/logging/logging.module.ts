import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import type { Request } from 'express';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { AppConfig } from '../../config/app-config';
import { requestIdOf } from '../http/request-id';

/** Paths pino blanks out wherever they appear in a log line: credentials never reach the logs. */
export const REDACTED_PATHS = [
  ...['authorization', 'cookie', '["x-api-key"]'].flatMap((header) => [
    `req.headers.${header}`,
    `headers.${header}`,
    `*.headers.${header}`,
  ]),
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
              // Every line logged while serving a request carries `requestId` (pino-http binds the
              // reqId key only in quiet mode); the completion line adds method, url and status.
              quietReqLogger: true,
              customAttributeKeys: { reqId: 'requestId' },
              autoLogging: {
                ignore: (req) => (req.url ?? '').startsWith('/health') || req.url === '/metrics',
              },
              serializers: {
                req: (req: { id?: string; method?: string; url?: unknown }) => ({
                  id: req.id,
                  method: req.method,
                  // Query strings may carry tokens (signed URLs); log the path only. Any object
                  // logged under `req` comes here too, and logging must never throw.
                  url: typeof req.url === 'string' ? req.url.split('?')[0] : undefined,
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
