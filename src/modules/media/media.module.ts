import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { LocalTransferController } from './local-transfer.controller';
import { LocalTransferService } from './local-transfer.service';
import { MediaController } from './media.controller';
import { MediaRepository } from './media.repository';
import { MediaService } from './media.service';
import { LocalStorageDriver } from './storage/local.driver';
import { StorageDriver } from './storage/storage.driver';

@Module({
  // LocalTransferController (media/local/…) before MediaController (media/:mediaId).
  controllers: [LocalTransferController, MediaController],
  providers: [
    MediaRepository,
    MediaService,
    LocalTransferService,
    {
      provide: LocalStorageDriver,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new LocalStorageDriver(config.media.localDir, config.media.urlSecret),
    },
    // MEDIA_DRIVER=s3 is refused by loadConfig until the S3 driver exists; then choose here.
    { provide: StorageDriver, useExisting: LocalStorageDriver },
  ],
  exports: [MediaService],
})
export class MediaModule {}
