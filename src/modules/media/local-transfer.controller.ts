import {
  Controller,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Put,
  Query,
  Req,
  Res,
  UseGuards,
  type CanActivate,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppException } from '../../common/errors/app.exception';
import { Public } from '../../common/decorators/public.decorator';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { ResponseMessage } from '../../common/decorators/response-message.decorator';
import { SignedTokenQueryDto } from './dto/media-params.dto';
import { LocalTransferService } from './local-transfer.service';

/** With another driver these routes do not exist (before the query is validated or a body read). */
@Injectable()
class LocalDriverOnlyGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(): boolean {
    if (this.config.media.driver !== 'local') {
      throw new AppException('ROUTE_NOT_FOUND', 'No such route');
    }
    return true;
  }
}

/**
 * The local driver's signed URLs. Public: the signed token is the authorisation. Their path
 * prefix is in RAW_BODY_PATH_PREFIXES, so the body reaches here unparsed, as a stream.
 */
@ApiExcludeController()
@Public()
@UseGuards(LocalDriverOnlyGuard)
@Controller('media/local')
export class LocalTransferController {
  constructor(private readonly transfers: LocalTransferService) {}

  @Put('upload')
  @HttpCode(200)
  @ResponseMessage('Uploaded')
  async upload(
    @Query() query: SignedTokenQueryDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ size: number }> {
    try {
      return await this.transfers.receive(
        query.token,
        req.get('content-type'),
        req.get('content-length'),
        req,
      );
    } catch (error) {
      // The rest of a refused body is not worth reading: answer, then drop the connection.
      if (!req.readableEnded) res.setHeader('Connection', 'close');
      throw error instanceof Error ? error : new AppException('BAD_REQUEST');
    }
  }

  @Get('download')
  async download(
    @Query() query: SignedTokenQueryDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const download = await this.transfers.open(query.token, req.get('range'));
    res.status(download.status).set(download.headers);
    download.body.once('error', () => res.destroy());
    res.once('close', () => download.body.destroy());
    download.body.pipe(res);
  }
}
