import { DynamicModule, Module } from '@nestjs/common';
import { MediaCleanup } from './media-cleanup.service';
import { MediaModule } from './media.module';
import { MediaProcessor } from './media.processor';
import { MediaThumbnails } from './media-thumbnails.service';

/**
 * The media queue's processors (thumbnails, stale-upload cleanup): in the API process unless
 * WORKERS=off, and in worker.ts. Enqueueing lives in MediaModule (MediaJobs).
 */
@Module({})
export class MediaWorkerModule {
  static register(options: { processors: boolean }): DynamicModule {
    return {
      module: MediaWorkerModule,
      imports: [MediaModule],
      providers: options.processors ? [MediaThumbnails, MediaCleanup, MediaProcessor] : [],
    };
  }
}
