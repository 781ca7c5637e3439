import {
  Body,
  Controller,
  Get,
  HttpStatus,
  Param,
  Patch,
  Post,
  Query,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthContext } from '../../common/auth/auth-context';
import { CurrentAuth } from '../../common/decorators/current-auth.decorator';
import { ResponseMessage } from '../../common/decorators/response-message.decorator';
import { NoStoreInterceptor } from '../../common/http/no-store.interceptor';
import type { Page } from '../../common/http/page';
import type { ConversationDto } from './chat.types';
import { ConversationsService } from './conversations.service';
import {
  CreateConversationDto,
  ListConversationsQueryDto,
  UpdateConversationDto,
} from './dto/conversations.dto';
import { ConversationParamsDto } from './dto/params.dto';

@ApiTags('conversations')
@ApiBearerAuth()
@UseInterceptors(NoStoreInterceptor)
@Controller('conversations')
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  /** Direct: 201 when created, 200 when the pair already had it. Group: always 201. */
  @Post()
  @ResponseMessage('Conversation ready')
  async create(
    @CurrentAuth() auth: AuthContext,
    @Body() body: CreateConversationDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ConversationDto> {
    if (body.type === 'group') {
      res.status(HttpStatus.CREATED);
      return this.conversations.createGroup(auth.userId, body);
    }
    const { conversation, created } = await this.conversations.openDirect(auth.userId, body.userId);
    res.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return conversation;
  }

  @Get()
  list(
    @CurrentAuth() auth: AuthContext,
    @Query() query: ListConversationsQueryDto,
  ): Promise<Page<ConversationDto>> {
    return this.conversations.list(auth.userId, query);
  }

  @Get(':id')
  get(
    @CurrentAuth() auth: AuthContext,
    @Param() params: ConversationParamsDto,
  ): Promise<ConversationDto> {
    return this.conversations.get(auth.userId, params.id);
  }

  @Patch(':id')
  @ResponseMessage('Conversation updated')
  update(
    @CurrentAuth() auth: AuthContext,
    @Param() params: ConversationParamsDto,
    @Body() body: UpdateConversationDto,
  ): Promise<ConversationDto> {
    return this.conversations.update(auth.userId, params.id, body);
  }
}
