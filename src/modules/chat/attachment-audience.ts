import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MediaAccess, type AttachmentAudience } from '../media/media-access';
import { isUuid } from './chat.rules';
import { MessagesRepository } from './messages.repository';

/**
 * Chat's answer to media's "who may read this attachment": current members of a conversation
 * where a live message carries it. Plugged into MediaAccess at boot, so media never imports chat.
 */
@Injectable()
export class ChatAttachmentAudience implements AttachmentAudience, OnModuleInit {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly access: MediaAccess,
  ) {}

  onModuleInit(): void {
    this.access.use(this);
  }

  canSeeAttachment(userId: string, mediaId: string): Promise<boolean> {
    if (!isUuid(userId) || !isUuid(mediaId)) return Promise.resolve(false);
    return this.messages.memberSeesAttachment(userId, mediaId.toLowerCase());
  }
}
