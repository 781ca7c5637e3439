import { Module } from '@nestjs/common';
import { MediaModule } from '../media/media.module';
import { UsersModule } from '../users/users.module';
import { ChatAttachmentAudience } from './attachment-audience';
import { ChatMedia } from './chat-media';
import { ChatEventsPublisher } from './chat-events.publisher';
import { ConversationsController } from './conversations.controller';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';
import { MemberDirectory } from './member-directory';
import { MembersController } from './members.controller';
import { MembersRepository } from './members.repository';
import { MembersService } from './members.service';
import { MessagesController } from './messages.controller';
import { MessagesRepository } from './messages.repository';
import { MessagesService } from './messages.service';
import { ReactionsRepository } from './reactions.repository';
import { ReactionsService } from './reactions.service';
import { ReceiptsService } from './receipts.service';

/**
 * Conversations, members, messages, reactions and receipts: the services and their repositories,
 * no transport. The Socket.IO gateway's module imports this one and calls the exported services.
 */
@Module({
  imports: [UsersModule, MediaModule],
  providers: [
    ChatEventsPublisher,
    MemberDirectory,
    ChatMedia,
    ChatAttachmentAudience,
    ConversationsRepository,
    MembersRepository,
    MessagesRepository,
    ReactionsRepository,
    ConversationsService,
    MembersService,
    MessagesService,
    ReactionsService,
    ReceiptsService,
  ],
  exports: [
    ConversationsService,
    MembersService,
    MessagesService,
    ReactionsService,
    ReceiptsService,
  ],
})
export class ChatCoreModule {}

/** The REST side of chat (API.md "Conversations and messages"); re-exports ChatCoreModule. */
@Module({
  imports: [ChatCoreModule],
  controllers: [ConversationsController, MembersController, MessagesController],
  exports: [ChatCoreModule],
})
export class ChatModule {}
