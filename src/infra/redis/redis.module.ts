import { Global, Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RedisService } from './redis.service';

export const REDIS = Symbol('REDIS');
export type RedisClient = Redis;

@Global()
@Module({
  providers: [
    {
      provide: RedisService,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => RedisService.connect(config.redis),
    },
    { provide: REDIS, inject: [RedisService], useFactory: (redis: RedisService) => redis.client },
  ],
  exports: [RedisService, REDIS],
})
export class RedisModule {}
