import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { MediaRepository } from './media.repository';
import { StorageDriver } from './storage/storage.driver';

export const CLEANUP_BATCH_SIZE = 100;
/** One run stops after this many batches; the next run carries on. */
export const CLEANUP_MAX_BATCHES = 100;

export interface CleanupResult {
  deleted: number;
  failed: number;
}

/**
 * Deletes uploads that were never completed within MEDIA_PENDING_TTL_SECONDS (and rejected ones
 * as old, whose object is already gone): the object first (a missing one is fine), then the
 * record, in batches. A row whose object could not be deleted stays (rejected) for the next run.
 */
@Injectable()
export class MediaCleanup {
  private readonly logger = new Logger('MediaCleanup');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: MediaRepository,
    private readonly storage: StorageDriver,
  ) {}

  async run(now: Date = new Date()): Promise<CleanupResult> {
    const cutoff = new Date(now.getTime() - this.config.media.pendingTtlSeconds * 1000);
    const result: CleanupResult = { deleted: 0, failed: 0 };
    for (let batch = 0; batch < CLEANUP_MAX_BATCHES; batch += 1) {
      const stale = await this.repository.claimStale(cutoff, CLEANUP_BATCH_SIZE);
      const removed: string[] = [];
      for (const item of stale) {
        try {
          await this.storage.delete(item.storageKey);
          removed.push(item.id);
        } catch (error) {
          result.failed += 1;
          this.logger.warn(`could not delete the object of media ${item.id}: ${describe(error)}`);
        }
      }
      result.deleted += await this.repository.deleteRejected(removed);
      // A short batch is the last; a batch of only failures would be claimed again and again.
      if (stale.length < CLEANUP_BATCH_SIZE || removed.length === 0) break;
    }
    if (result.deleted > 0 || result.failed > 0) {
      this.logger.log(`stale uploads: ${result.deleted} deleted, ${result.failed} failed`);
    }
    return result;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
