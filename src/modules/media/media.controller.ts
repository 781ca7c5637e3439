import { Body, Controller, Get, HttpCode, Param, Post, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../../common/auth/auth-context';
import { CurrentAuth } from '../../common/decorators/current-auth.decorator';
import { ResponseMessage } from '../../common/decorators/response-message.decorator';
import { NoStoreInterceptor } from '../../common/http/no-store.interceptor';
import { CreateUploadDto } from './dto/create-upload.dto';
import { MediaIdParamsDto } from './dto/media-params.dto';
import type { MediaDto, UploadIntentDto } from './media.mapper';
import { MediaService } from './media.service';
import { RequestOrigin } from './request-origin.decorator';

@ApiTags('media')
@ApiBearerAuth()
@UseInterceptors(NoStoreInterceptor)
@Controller('media')
export class MediaController {
  constructor(private readonly media: MediaService) {}

  @Post('uploads')
  @ResponseMessage('Upload URL issued')
  createUpload(
    @CurrentAuth() auth: AuthContext,
    @Body() body: CreateUploadDto,
    @RequestOrigin() origin: string,
  ): Promise<UploadIntentDto> {
    return this.media.createUpload(auth.userId, body, origin);
  }

  @Post('uploads/:mediaId/complete')
  @HttpCode(200)
  @ResponseMessage('Media ready')
  complete(
    @CurrentAuth() auth: AuthContext,
    @Param() params: MediaIdParamsDto,
    @RequestOrigin() origin: string,
  ): Promise<MediaDto> {
    return this.media.complete(auth.userId, params.mediaId, origin);
  }

  @Get(':mediaId')
  get(
    @CurrentAuth() auth: AuthContext,
    @Param() params: MediaIdParamsDto,
    @RequestOrigin() origin: string,
  ): Promise<MediaDto> {
    return this.media.get(auth.userId, params.mediaId, origin);
  }
}
