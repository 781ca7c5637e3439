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
import { BlocksService } from './blocks.service';
import { PageQueryDto } from './dto/page-query.dto';
import { UserIdParamsDto, UserRefDto } from './dto/user-ref.dto';
import type { BlockDto } from './users.mapper';

@ApiTags('blocks')
@UseInterceptors(NoStoreInterceptor)
@Controller('users/me/blocks')
export class BlocksController {
  constructor(private readonly blocks: BlocksService) {}

  /** Idempotent: 201 when this call blocked them, 200 when they were already blocked. */
  @Post()
  @ResponseMessage('User blocked')
  async block(
    @CurrentAuth() auth: AuthContext,
    @Body() body: UserRefDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<BlockDto> {
    const { created, block } = await this.blocks.block(auth.userId, body.userId);
    res.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return block;
  }

  @Delete(':userId')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('User unblocked')
  async unblock(@CurrentAuth() auth: AuthContext, @Param() params: UserIdParamsDto): Promise<null> {
    await this.blocks.unblock(auth.userId, params.userId);
    return null;
  }

  @Get()
  list(@CurrentAuth() auth: AuthContext, @Query() query: PageQueryDto): Promise<Page<BlockDto>> {
    return this.blocks.list(auth.userId, query);
  }
}
