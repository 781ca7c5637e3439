import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RedisService } from '../redis/redis.service';

/** BullMQ on its own Redis connection (it needs blocking commands and no request retry limit). */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG, RedisService],
      useFactory: (config: AppConfig, redis: RedisService) => ({
        connection: redis.createConnection('bullmq', {
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
