import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { LocalTransferController } from './local-transfer.controller';
import { LocalTransferService } from './local-transfer.service';
import { QueueName } from '../../infra/queue/queue.constants';
import { MediaAccess } from './media-access';
import { MediaJobs } from './media-jobs.service';
import { MediaLinks } from './media-links.service';
import { MediaUrls } from './media-urls';
import { MediaController } from './media.controller';
import { MediaRepository } from './media.repository';
import { MediaService } from './media.service';
import { LocalStorageDriver } from './storage/local.driver';
import { S3StorageDriver } from './storage/s3.driver';
import { StorageDriver } from './storage/storage.driver';

@Module({
  imports: [BullModule.registerQueue({ name: QueueName.Media })],
  // LocalTransferController (media/local/…) before MediaController (media/:mediaId).
  controllers: [LocalTransferController, MediaController],
  providers: [
    MediaRepository,
    MediaService,
    LocalTransferService,
    MediaUrls,
    MediaJobs,
    MediaLinks,
    MediaAccess,
    {
      provide: LocalStorageDriver,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new LocalStorageDriver(config.media.localDir, config.media.urlSecret),
    },
    {
      provide: StorageDriver,
      inject: [APP_CONFIG, LocalStorageDriver],
      useFactory: (config: AppConfig, local: LocalStorageDriver): StorageDriver =>
        config.media.s3 ? new S3StorageDriver(config.media.s3) : local,
    },
  ],
  // MediaRepository and StorageDriver for MediaWorkerModule's processors only.
  exports: [MediaService, MediaLinks, MediaAccess, MediaJobs, MediaRepository, StorageDriver],
})
export class MediaModule {}
