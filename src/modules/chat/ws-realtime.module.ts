import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { UsersModule } from '../users/users.module';
import { ChatGateway } from './chat.gateway';
import { ChatCoreModule } from './chat.module';
import { PresenceService } from './presence.service';
import { TypingService } from './typing.service';
import { WsAuthService } from './ws-auth.service';
import { WsFanoutListener } from './ws-fanout.listener';
import { WsRateLimiter } from './ws-rate-limit';
import { WsServer } from './ws-server';

/**
 * The real-time half of chat: the Socket.IO gateway, presence, typing and the fan-out of chat
 * events to sockets. Kept apart from the REST half (ChatModule) so each can change on its own.
 */
@Module({
  imports: [AuthModule, UsersModule, ChatCoreModule],
  providers: [
    WsServer,
    WsAuthService,
    WsRateLimiter,
    PresenceService,
    TypingService,
    WsFanoutListener,
    ChatGateway,
  ],
  exports: [PresenceService],
})
export class WsRealtimeModule {}
