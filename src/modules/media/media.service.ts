import { Inject, Injectable, Logger } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { AppException } from '../../common/errors/app.exception';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type { CreateUploadDto } from './dto/create-upload.dto';
import { dimensionsOf, matchesContentType, SNIFF_BYTES } from './magic-bytes';
import { toMediaDto, toUploadIntentDto, type MediaDto, type UploadIntentDto } from './media.mapper';
import { ALLOWED_TYPES, sanitiseFilename } from './media.policy';
import { MediaAccess } from './media-access';
import { MediaJobs } from './media-jobs.service';
import { MediaRepository } from './media.repository';
import type { MediaPurpose, MediaRow } from './media.schema';
import { MediaUrls } from './media-urls';
import { StorageDriver } from './storage/storage.driver';
import { THUMBNAIL_SOURCE_TYPES } from './thumbnail';

@Injectable()
export class MediaService {
  private readonly logger = new Logger(MediaService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: MediaRepository,
    private readonly storage: StorageDriver,
    private readonly urls: MediaUrls,
    private readonly jobs: MediaJobs,
    private readonly access: MediaAccess,
  ) {}

  /** Validates the declared file, records it as pending and returns where to upload it. */
  async createUpload(
    ownerId: string,
    input: CreateUploadDto,
    requestOrigin: string,
  ): Promise<UploadIntentDto> {
    const contentType = input.contentType.trim().toLowerCase();
    this.assertAllowed(input.purpose, contentType, input.size);
    const id = uuidv7();
    // Server-chosen key: purpose and a fresh id, nothing from the client's filename.
    const key = `${input.purpose}/${id}`;
    await this.repository.insert({
      id,
      ownerId,
      purpose: input.purpose,
      storageKey: key,
      filename: sanitiseFilename(input.filename),
      contentType,
      size: input.size,
    });
    const upload = await this.storage.createUpload({
      key,
      contentType,
      size: input.size,
      expiresAt: this.expiry(this.config.media.uploadUrlTtlSeconds),
      baseUrl: this.baseUrl(requestOrigin),
    });
    return toUploadIntentDto(id, upload);
  }

  /**
   * Checks the stored object (exists, no larger than declared, first bytes of the declared type)
   * and marks the media ready; otherwise deletes the object and answers 422.
   */
  async complete(ownerId: string, mediaId: string, requestOrigin: string): Promise<MediaDto> {
    const row = await this.repository.findById(mediaId);
    if (!row || row.ownerId !== ownerId) throw new AppException('MEDIA_NOT_FOUND');
    if (row.status === 'ready') {
      // A repeated completion re-enqueues a thumbnail that was never made (same job id: no double).
      await this.queueThumbnail(row);
      return this.withDownload(row, requestOrigin);
    }
    if (row.status === 'rejected') {
      throw new AppException('MEDIA_REJECTED', 'This upload was refused; start a new one');
    }
    const stored = await this.storage.stat(row.storageKey);
    if (!stored) throw new AppException('MEDIA_NOT_UPLOADED', 'Nothing has been uploaded yet');
    if (stored.size === 0 || stored.size > row.size) {
      await this.reject(row);
      throw new AppException(
        'MEDIA_SIZE_MISMATCH',
        `The uploaded file is ${stored.size} bytes; ${row.size} were declared`,
      );
    }
    const head = await this.storage.readHead(row.storageKey, SNIFF_BYTES);
    if (!matchesContentType(head, row.contentType)) {
      await this.reject(row);
      throw new AppException('MEDIA_TYPE_MISMATCH', `The uploaded file is not ${row.contentType}`);
    }
    const dimensions = dimensionsOf(head, row.contentType);
    const ready = await this.repository.markReady(row.id, {
      width: dimensions?.width ?? null,
      height: dimensions?.height ?? null,
    });
    // Lost a race with a concurrent completion: answer with whatever it decided.
    const current = ready ?? (await this.repository.findById(row.id));
    if (current?.status !== 'ready') throw new AppException('MEDIA_REJECTED');
    await this.queueThumbnail(current);
    return this.withDownload(current, requestOrigin);
  }

  /** Metadata, plus a short-lived download URL once ready. Unreadable media is a 404. */
  async get(callerId: string, mediaId: string, requestOrigin: string): Promise<MediaDto> {
    const row = await this.repository.findById(mediaId);
    if (!row || !(await this.canRead(callerId, row))) throw new AppException('MEDIA_NOT_FOUND');
    return this.withDownload(row, requestOrigin);
  }

  /**
   * Who may read a media item: the owner always; anyone signed in for a ready avatar; for a ready
   * attachment, the current members of a conversation where a live message carries it (chat
   * answers that through MediaAccess; media never reads chat's tables).
   */
  private async canRead(callerId: string, row: MediaRow): Promise<boolean> {
    if (row.ownerId === callerId) return true;
    if (row.status !== 'ready') return false;
    if (row.purpose === 'avatar') return true;
    return this.access.canSeeAttachment(callerId, row.id);
  }

  private async withDownload(row: MediaRow, requestOrigin: string): Promise<MediaDto> {
    if (row.status !== 'ready') return toMediaDto(row);
    return toMediaDto(row, await this.urls.forRequest(row, requestOrigin));
  }

  private async queueThumbnail(row: MediaRow): Promise<void> {
    if (row.thumbnailKey !== null || !THUMBNAIL_SOURCE_TYPES.includes(row.contentType)) return;
    await this.jobs.enqueueThumbnail(row.id);
  }

  private async reject(row: MediaRow): Promise<void> {
    await this.storage.delete(row.storageKey);
    await this.repository.markRejected(row.id);
    this.logger.log(`media ${row.id} rejected at completion; object deleted`);
  }

  private assertAllowed(purpose: MediaPurpose, contentType: string, size: number): void {
    if (!ALLOWED_TYPES[purpose].includes(contentType)) {
      throw new AppException('MEDIA_TYPE_NOT_ALLOWED', `${contentType} is not allowed here`, [
        {
          field: 'contentType',
          message: `must be one of ${ALLOWED_TYPES[purpose].join(', ')} for ${purpose}`,
        },
      ]);
    }
    const max = this.config.media.maxBytes[purpose];
    if (size > max) {
      throw new AppException('MEDIA_TOO_LARGE', `A ${purpose} may be at most ${max} bytes`, [
        { field: 'size', message: `must be at most ${max} bytes for ${purpose}` },
      ]);
    }
  }

  private baseUrl(requestOrigin: string): string {
    return this.config.media.publicBaseUrl ?? requestOrigin;
  }

  private expiry(ttlSeconds: number): Date {
    // Whole seconds, as signed URLs carry seconds.
    return new Date((Math.floor(Date.now() / 1000) + ttlSeconds) * 1000);
  }
}
