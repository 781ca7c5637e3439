import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RedisService } from '../redis/redis.service';

/** BullMQ on its own Redis connections (it needs blocking commands and no request retry limit). */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG, RedisService],
      useFactory: (config: AppConfig, redis: RedisService) => ({
        // Options, not a shared client: BullMQ then closes its connections itself, after its workers.
        connection: redis.connectionOptions({
          maxRetriesPerRequest: null,
          enableOfflineQueue: true,
        }),
        prefix: `${config.redis.keyPrefix}bull`,
      }),
    }),
  ],
  exports: [BullModule],
})
export class QueueModule {}
