import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthContext } from '../../common/auth/auth-context';
import { CurrentAuth } from '../../common/decorators/current-auth.decorator';
import { ResponseMessage } from '../../common/decorators/response-message.decorator';
import { NoStoreInterceptor } from '../../common/http/no-store.interceptor';
import type { Page } from '../../common/http/page';
import { FriendRequestsQueryDto } from './dto/friend-requests-query.dto';
import { PageQueryDto } from './dto/page-query.dto';
import { IdParamsDto, UserIdParamsDto, UserRefDto } from './dto/user-ref.dto';
import { FriendsService } from './friends.service';
import type { FriendDto, FriendRequestDto, SendFriendRequestResultDto } from './users.mapper';

@ApiTags('friends')
@UseInterceptors(NoStoreInterceptor)
@Controller('users/me')
export class FriendsController {
  constructor(private readonly friends: FriendsService) {}

  @Get('friends')
  list(@CurrentAuth() auth: AuthContext, @Query() query: PageQueryDto): Promise<Page<FriendDto>> {
    return this.friends.listFriends(auth.userId, query);
  }

  @Delete('friends/:userId')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Friend removed')
  async unfriend(
    @CurrentAuth() auth: AuthContext,
    @Param() params: UserIdParamsDto,
  ): Promise<null> {
    await this.friends.unfriend(auth.userId, params.userId);
    return null;
  }

  /** 201 with the new request; 200 when it accepted their pending request instead (`outcome`). */
  @Post('friend-requests')
  @ResponseMessage('Friend request sent, or theirs accepted (see data.outcome)')
  async send(
    @CurrentAuth() auth: AuthContext,
    @Body() body: UserRefDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SendFriendRequestResultDto> {
    const result = await this.friends.send(auth.userId, body.userId);
    res.status(result.outcome === 'accepted' ? HttpStatus.OK : HttpStatus.CREATED);
    return result;
  }

  @Get('friend-requests')
  requests(
    @CurrentAuth() auth: AuthContext,
    @Query() query: FriendRequestsQueryDto,
  ): Promise<Page<FriendRequestDto>> {
    return this.friends.listRequests(auth.userId, query.direction, query);
  }

  @Post('friend-requests/:id/accept')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Friend request accepted')
  accept(
    @CurrentAuth() auth: AuthContext,
    @Param() params: IdParamsDto,
  ): Promise<SendFriendRequestResultDto> {
    return this.friends.accept(auth.userId, params.id);
  }

  @Post('friend-requests/:id/decline')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Friend request declined')
  decline(
    @CurrentAuth() auth: AuthContext,
    @Param() params: IdParamsDto,
  ): Promise<FriendRequestDto> {
    return this.friends.decline(auth.userId, params.id);
  }

  /** The sender withdraws a pending request. */
  @Delete('friend-requests/:id')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Friend request cancelled')
  cancel(
    @CurrentAuth() auth: AuthContext,
    @Param() params: IdParamsDto,
  ): Promise<FriendRequestDto> {
    return this.friends.cancel(auth.userId, params.id);
  }
}
