import { DynamicModule, Global, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import type { DestinationStream } from 'pino';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { DatabaseModule } from './infra/database/database.module';
import { LoggingModule } from './infra/logging/logging.module';
import { QueueModule } from './infra/queue/queue.module';
import { RedisModule } from './infra/redis/redis.module';

export interface CoreOptions {
  /** Where pino writes (tests capture logs this way); stdout by default. */
  logDestination?: DestinationStream;
}

/** What both entry points share: config, logging, database, Redis, queues and in-process events. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, options: CoreOptions = {}): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        LoggingModule.forRoot(config, options.logDestination),
        DatabaseModule,
        RedisModule,
        QueueModule,
        EventEmitterModule.forRoot({ wildcard: false, ignoreErrors: false }),
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
