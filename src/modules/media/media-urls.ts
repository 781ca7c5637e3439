import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type { MediaRow } from './media.schema';
import { StorageDriver } from './storage/storage.driver';
import { THUMBNAIL_CONTENT_TYPE, thumbnailFilename } from './thumbnail';

export interface SignedMediaUrls {
  url: string;
  /** Null until the thumbnail job has made one (images only). */
  thumbnailUrl: string | null;
  expiresAt: Date;
}

/** Signs the download URLs of ready media: the original and, when there is one, its thumbnail. */
@Injectable()
export class MediaUrls {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly storage: StorageDriver,
  ) {}

  /** For GET /media/:id: valid for MEDIA_DOWNLOAD_URL_TTL from now, on the request's origin. */
  forRequest(row: MediaRow, requestOrigin: string): Promise<SignedMediaUrls> {
    const ttl = this.config.media.downloadUrlTtlSeconds;
    const expiresAt = new Date((Math.floor(Date.now() / 1000) + ttl) * 1000);
    return this.sign(row, this.config.media.publicBaseUrl ?? requestOrigin, expiresAt);
  }

  /**
   * For URLs embedded in other payloads (profiles, messages, socket events), which have no request
   * origin: built on MEDIA_PUBLIC_BASE_URL, else root-relative (`/api/v1/media/local/…`; the S3
   * driver's URLs are absolute anyway). The expiry is rounded up to a window of the download TTL,
   * so the same URL is handed out for a while (browsers can cache the image) and always lives at
   * least one TTL.
   */
  embedded(row: MediaRow): Promise<SignedMediaUrls> {
    const ttl = this.config.media.downloadUrlTtlSeconds;
    const window = Math.floor(Date.now() / 1000 / ttl);
    const expiresAt = new Date((window + 2) * ttl * 1000);
    return this.sign(row, this.config.media.publicBaseUrl ?? '', expiresAt);
  }

  private async sign(row: MediaRow, baseUrl: string, expiresAt: Date): Promise<SignedMediaUrls> {
    const [url, thumbnailUrl] = await Promise.all([
      this.storage.createDownloadUrl({
        key: row.storageKey,
        contentType: row.contentType,
        filename: row.filename,
        expiresAt,
        baseUrl,
      }),
      row.thumbnailKey
        ? this.storage.createDownloadUrl({
            key: row.thumbnailKey,
            contentType: THUMBNAIL_CONTENT_TYPE,
            filename: thumbnailFilename(row.filename),
            expiresAt,
            baseUrl,
          })
        : Promise.resolve(null),
    ]);
    return { url, thumbnailUrl, expiresAt };
  }
}
