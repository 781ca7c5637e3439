import { Injectable } from '@nestjs/common';

/**
 * "May this user read this attachment because it was sent where they are a member?" Media must
 * not read chat's tables, so chat implements this and plugs it in at boot
 * (`mediaAccess.use(audience)` in its onModuleInit); media never imports chat.
 */
export interface AttachmentAudience {
  /** True when `userId` is a current member of a conversation holding a live message with `mediaId`. */
  canSeeAttachment(userId: string, mediaId: string): Promise<boolean>;
}

/** Where media asks for attachment audiences. Without chat (e.g. worker.ts) nobody but the owner qualifies. */
@Injectable()
export class MediaAccess {
  private audience: AttachmentAudience | undefined;

  use(audience: AttachmentAudience): void {
    this.audience = audience;
  }

  canSeeAttachment(userId: string, mediaId: string): Promise<boolean> {
    return this.audience ? this.audience.canSeeAttachment(userId, mediaId) : Promise.resolve(false);
  }
}
