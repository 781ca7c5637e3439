import {
  Body,
  Controller,
  Delete,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  UseInterceptors,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../../common/auth/auth-context';
import { CurrentAuth } from '../../common/decorators/current-auth.decorator';
import { ResponseMessage } from '../../common/decorators/response-message.decorator';
import { NoStoreInterceptor } from '../../common/http/no-store.interceptor';
import type { ConversationDto } from './chat.types';
import { AddMembersDto, SetRoleDto } from './dto/conversations.dto';
import { ConversationParamsDto, MemberParamsDto } from './dto/params.dto';
import { MembersService } from './members.service';

@ApiTags('conversations')
@ApiBearerAuth()
@UseInterceptors(NoStoreInterceptor)
@Controller('conversations/:id/members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Members added')
  add(
    @CurrentAuth() auth: AuthContext,
    @Param() params: ConversationParamsDto,
    @Body() body: AddMembersDto,
  ): Promise<ConversationDto> {
    return this.members.add(auth.userId, params.id, body.userIds);
  }

  /** Removing yourself is leaving (data null); removing someone else returns the group. */
  @Delete(':userId')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Member removed')
  remove(
    @CurrentAuth() auth: AuthContext,
    @Param() params: MemberParamsDto,
  ): Promise<ConversationDto | null> {
    return this.members.remove(auth.userId, params.id, params.userId);
  }

  @Patch(':userId')
  @ResponseMessage('Role updated')
  setRole(
    @CurrentAuth() auth: AuthContext,
    @Param() params: MemberParamsDto,
    @Body() body: SetRoleDto,
  ): Promise<ConversationDto> {
    return this.members.setRole(auth.userId, params.id, params.userId, body.role);
  }
}
