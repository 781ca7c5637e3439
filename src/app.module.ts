import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { HttpExceptionFilter } from './common/errors/http-exception.filter';
import { EnvelopeInterceptor } from './common/http/envelope.interceptor';
import { createValidationPipe } from './common/pipes/validation.pipe';
import { CoreModule, type CoreOptions } from './core.module';
import { HealthModule } from './infra/health/health.module';
import { MetricsModule } from './infra/metrics/metrics.module';
import { RedisService } from './infra/redis/redis.service';
import { AuthModule } from './modules/auth/auth.module';
import { ChatModule } from './modules/chat/chat.module';
import { WsRealtimeModule } from './modules/chat/ws-realtime.module';
import { MailModule } from './modules/mail/mail.module';
import { MediaModule } from './modules/media/media.module';
import { MediaWorkerModule } from './modules/media/media-worker.module';
import { UsersModule } from './modules/users/users.module';

export interface AppOptions extends CoreOptions {
  /** Extra modules mounted into the app (tests use this for probe routes). */
  imports?: ModuleMetadata['imports'];
}

/** The API process: HTTP + Socket.IO, and the queue processors unless WORKERS=off. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, options),
        ThrottlerModule.forRootAsync({
          inject: [APP_CONFIG, RedisService],
          useFactory: (appConfig: AppConfig, redis: RedisService) => ({
            throttlers: [
              {
                name: 'default',
                ttl: appConfig.http.throttle.ttlMs,
                limit: appConfig.http.throttle.limit,
              },
            ],
            storage: new ThrottlerStorageRedisService(redis.client),
          }),
        }),
        HealthModule,
        MetricsModule,
        MailModule.register({ processors: config.workersEnabled }),
        UsersModule,
        AuthModule,
        ChatModule,
        WsRealtimeModule,
        MediaModule,
        MediaWorkerModule.register({ processors: config.workersEnabled }),
        ...(options.imports ?? []),
      ],
      providers: [
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_INTERCEPTOR, useClass: EnvelopeInterceptor },
        { provide: APP_GUARD, useClass: ThrottlerGuard },
      ],
    };
  }
}
