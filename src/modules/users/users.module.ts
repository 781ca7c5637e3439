import { Module } from '@nestjs/common';
import { MediaModule } from '../media/media.module';
import { BlocksController } from './blocks.controller';
import { BlocksRepository } from './blocks.repository';
import { BlocksService } from './blocks.service';
import { FriendsController } from './friends.controller';
import { FriendsRepository } from './friends.repository';
import { FriendsService } from './friends.service';
import { PresenceDirectory } from './presence';
import { ProfileAssembler } from './profiles';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [MediaModule],
  // FriendsController and BlocksController (users/me/…) before UsersController (users/:id).
  controllers: [FriendsController, BlocksController, UsersController],
  providers: [
    UsersRepository,
    FriendsRepository,
    BlocksRepository,
    PresenceDirectory,
    ProfileAssembler,
    UsersService,
    FriendsService,
    BlocksService,
  ],
  exports: [UsersService, PresenceDirectory],
})
export class UsersModule {}
