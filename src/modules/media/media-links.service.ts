import type { AttachmentDto } from '../../contract/chat';
import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import type { ErrorDetail } from '../../common/errors/app.exception';
import { MediaRepository } from './media.repository';
import type { MediaPurpose, MediaRow } from './media.schema';
import { MediaUrls } from './media-urls';

/** An attachment as messages show it (the wire type). URLs as in MediaUrls.embedded. */
export type AttachmentLink = AttachmentDto;

/**
 * What other modules ask of media (users: avatars; chat: attachments and group avatars): whether
 * an id may be used, and the URLs to show. They never see a media row.
 */
@Injectable()
export class MediaLinks {
  constructor(
    private readonly repository: MediaRepository,
    private readonly urls: MediaUrls,
  ) {}

  /**
   * Avatar URLs by media id, for ready avatars among `mediaIds` (others are absent): the 256 px
   * thumbnail once made, else the original. One query whatever the count, none for no ids.
   */
  async avatarUrls(mediaIds: readonly (string | null)[]): Promise<Map<string, string>> {
    const rows = await this.readyRows(mediaIds, 'avatar');
    const signed = await Promise.all(rows.map((row) => this.urls.embedded(row)));
    return new Map(
      rows.map((row, index) => [row.id, signed[index].thumbnailUrl ?? signed[index].url]),
    );
  }

  /** Ready attachments among `mediaIds`, by id, with their signed URLs. */
  async attachments(mediaIds: readonly string[]): Promise<Map<string, AttachmentLink>> {
    const rows = await this.readyRows(mediaIds, 'attachment');
    const links = await Promise.all(
      rows.map(async (row): Promise<AttachmentLink> => {
        const signed = await this.urls.embedded(row);
        return {
          id: row.id,
          filename: row.filename,
          contentType: row.contentType,
          size: row.size,
          width: row.width,
          height: row.height,
          url: signed.url,
          thumbnailUrl: signed.thumbnailUrl,
          urlExpiresAt: signed.expiresAt.toISOString(),
        };
      }),
    );
    return new Map(links.map((link) => [link.id, link]));
  }

  /**
   * Throws 422 MEDIA_NOT_READY (detail on `field`) unless `mediaId` is a ready `purpose` upload
   * owned by `ownerId`. Someone else's media gets the same answer as an unknown id.
   */
  async assertOwnReady(
    ownerId: string,
    mediaId: string,
    purpose: MediaPurpose,
    field: string,
  ): Promise<void> {
    const row = await this.repository.findById(mediaId.toLowerCase());
    const problem = problemOf(row, ownerId, purpose);
    if (problem) throw notReady([{ field, message: problem }]);
  }

  /**
   * Every id must be a ready attachment upload owned by `ownerId`, and no id may repeat; else 422
   * MEDIA_NOT_READY with one detail per offending item (`attachmentIds[2]`).
   */
  async assertAttachable(
    ownerId: string,
    mediaIds: readonly string[],
    field: string,
  ): Promise<void> {
    const rows = await this.repository.findByIds(mediaIds.map((id) => id.toLowerCase()));
    const byId = new Map(rows.map((row) => [row.id, row]));
    const seen = new Set<string>();
    const details: ErrorDetail[] = [];
    mediaIds.forEach((raw, index) => {
      const id = raw.toLowerCase();
      const problem = seen.has(id)
        ? 'is listed twice'
        : problemOf(byId.get(id), ownerId, 'attachment');
      seen.add(id);
      if (problem) details.push({ field: `${field}[${index}]`, message: problem });
    });
    if (details.length > 0) throw notReady(details);
  }

  private async readyRows(
    mediaIds: readonly (string | null)[],
    purpose: MediaPurpose,
  ): Promise<MediaRow[]> {
    const ids = [...new Set(mediaIds.filter((id): id is string => id !== null))];
    if (ids.length === 0) return [];
    const rows = await this.repository.findByIds(ids);
    return rows.filter((row) => row.status === 'ready' && row.purpose === purpose);
  }
}

function problemOf(
  row: MediaRow | undefined,
  ownerId: string,
  purpose: MediaPurpose,
): string | undefined {
  if (!row || row.ownerId !== ownerId) return `must be a ready ${purpose} you uploaded`;
  if (row.purpose !== purpose) return `is an ${row.purpose} upload, not an ${purpose}`;
  if (row.status !== 'ready') return `is not ready (${row.status}); complete the upload first`;
  return undefined;
}

function notReady(details: ErrorDetail[]): AppException {
  return new AppException('MEDIA_NOT_READY', 'Media is not usable here', details);
}
