import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  Put,
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
import type { ReactionPayload } from './chat.events';
import type { MessageDto } from './chat.types';
import { EditMessageDto, HistoryQueryDto, MarkReadDto, SendMessageDto } from './dto/messages.dto';
import { ConversationParamsDto, MessageParamsDto, ReactionParamsDto } from './dto/params.dto';
import { MessagesService } from './messages.service';
import { ReactionsService } from './reactions.service';
import { ReceiptsService } from './receipts.service';

@ApiTags('messages')
@ApiBearerAuth()
@UseInterceptors(NoStoreInterceptor)
@Controller('conversations/:id')
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly reactions: ReactionsService,
    private readonly receipts: ReceiptsService,
  ) {}

  @Get('messages')
  history(
    @CurrentAuth() auth: AuthContext,
    @Param() params: ConversationParamsDto,
    @Query() query: HistoryQueryDto,
  ): Promise<Page<MessageDto>> {
    return this.messages.history(auth.userId, params.id, query);
  }

  /** 201 for a new message; 200 with the stored one when this clientMessageId was already used. */
  @Post('messages')
  @ResponseMessage('Message sent')
  async send(
    @CurrentAuth() auth: AuthContext,
    @Param() params: ConversationParamsDto,
    @Body() body: SendMessageDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<MessageDto> {
    const { message, created } = await this.messages.send(auth.userId, {
      ...body,
      conversationId: params.id,
    });
    res.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return message;
  }

  @Patch('messages/:messageId')
  @ResponseMessage('Message edited')
  edit(
    @CurrentAuth() auth: AuthContext,
    @Param() params: MessageParamsDto,
    @Body() body: EditMessageDto,
  ): Promise<MessageDto> {
    return this.messages.edit(auth.userId, params.id, params.messageId, body.body);
  }

  @Delete('messages/:messageId')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Message deleted')
  remove(@CurrentAuth() auth: AuthContext, @Param() params: MessageParamsDto): Promise<MessageDto> {
    return this.messages.remove(auth.userId, params.id, params.messageId);
  }

  @Put('messages/:messageId/reactions/:emoji')
  @ResponseMessage('Reaction set')
  react(
    @CurrentAuth() auth: AuthContext,
    @Param() params: ReactionParamsDto,
  ): Promise<ReactionPayload> {
    return this.reactions.set(auth.userId, params.id, params.messageId, params.emoji, true);
  }

  @Delete('messages/:messageId/reactions/:emoji')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Reaction removed')
  unreact(
    @CurrentAuth() auth: AuthContext,
    @Param() params: ReactionParamsDto,
  ): Promise<ReactionPayload> {
    return this.reactions.set(auth.userId, params.id, params.messageId, params.emoji, false);
  }

  @Post('read')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Read up to seq')
  read(
    @CurrentAuth() auth: AuthContext,
    @Param() params: ConversationParamsDto,
    @Body() body: MarkReadDto,
  ): Promise<{ lastReadSeq: number }> {
    return this.receipts.markRead(auth.userId, params.id, body.seq);
  }
}
