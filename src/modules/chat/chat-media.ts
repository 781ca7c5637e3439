import { Injectable } from '@nestjs/common';
import { MediaLinks } from '../media/media-links.service';
import type { AttachmentResolver } from './chat.mapper';
import type { AttachmentDto } from './chat.types';

/** What chat asks of the media module: usable ids, and the URLs messages and groups show. */
@Injectable()
export class ChatMedia {
  constructor(private readonly links: MediaLinks) {}

  /** 422 MEDIA_NOT_READY unless every id is a ready attachment of the sender's, none repeated. */
  assertAttachable(senderId: string, mediaIds: readonly string[]): Promise<void> {
    return this.links.assertAttachable(senderId, mediaIds, 'attachmentIds');
  }

  /** 422 MEDIA_NOT_READY unless `mediaId` is a ready avatar upload of the caller's. */
  assertGroupAvatar(userId: string, mediaId: string): Promise<void> {
    return this.links.assertOwnReady(userId, mediaId, 'avatar', 'avatarMediaId');
  }

  /** One lookup for every attachment of `messages` (none when they carry none). */
  async resolverFor(
    messages: readonly ({ attachmentIds: string[] | null } | null | undefined)[],
  ): Promise<AttachmentResolver> {
    const ids = messages.flatMap((message) => message?.attachmentIds ?? []);
    if (ids.length === 0) return () => undefined;
    const links = await this.links.attachments(ids);
    return (mediaId: string): AttachmentDto | undefined => links.get(mediaId);
  }

  avatarUrls(mediaIds: readonly (string | null)[]): Promise<Map<string, string>> {
    return this.links.avatarUrls(mediaIds);
  }
}
