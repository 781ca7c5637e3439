import { Injectable, Logger } from '@nestjs/common';
import { MediaRepository } from './media.repository';
import { StorageDriver } from './storage/storage.driver';
import {
  renderThumbnail,
  THUMBNAIL_CONTENT_TYPE,
  THUMBNAIL_SOURCE_TYPES,
  thumbnailKeyOf,
} from './thumbnail';

export type ThumbnailOutcome = 'made' | 'skipped';

/** Makes the thumbnail of one ready image and records it with the image's dimensions. */
@Injectable()
export class MediaThumbnails {
  private readonly logger = new Logger('MediaThumbnails');

  constructor(
    private readonly repository: MediaRepository,
    private readonly storage: StorageDriver,
  ) {}

  /**
   * Idempotent (jobs run at least once): a media item that is gone, not ready, not an image or
   * already has its thumbnail is skipped. Rewriting the same key on a retry is harmless.
   * Throws UndecodableImageError for an image that can't be decoded (the media stays ready).
   */
  async make(mediaId: string): Promise<ThumbnailOutcome> {
    const row = await this.repository.findById(mediaId);
    if (
      !row ||
      row.status !== 'ready' ||
      row.thumbnailKey !== null ||
      !THUMBNAIL_SOURCE_TYPES.includes(row.contentType)
    ) {
      return 'skipped';
    }
    const rendered = await renderThumbnail(
      await this.storage.readObject(row.storageKey),
      row.purpose,
      row.size,
    );
    const thumbnailKey = thumbnailKeyOf(row.storageKey);
    await this.storage.putObject(thumbnailKey, rendered.data, THUMBNAIL_CONTENT_TYPE);
    await this.repository.setThumbnail(row.id, {
      thumbnailKey,
      width: rendered.width,
      height: rendered.height,
    });
    this.logger.log(
      `thumbnail of media ${row.id}: ${rendered.width}x${rendered.height} → ${rendered.thumbnailWidth}x${rendered.thumbnailHeight}`,
    );
    return 'made';
  }
}
