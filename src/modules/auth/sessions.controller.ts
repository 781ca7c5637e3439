import {
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  UseInterceptors,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ResponseMessage } from '../../common/decorators/response-message.decorator';
import { AppException } from '../../common/errors/app.exception';
import { NoStoreInterceptor } from '../../common/http/no-store.interceptor';
import type { AuthContext } from './auth.types';
import { CurrentAuth } from '../../common/decorators/current-auth.decorator';
import { SessionsService, type SessionView } from './sessions/sessions.service';

const uuid = new ParseUUIDPipe({
  exceptionFactory: () =>
    new AppException('VALIDATION_FAILED', 'Validation failed', [
      { field: 'id', message: 'id must be a UUID' },
    ]),
});

@ApiTags('auth')
@UseInterceptors(NoStoreInterceptor)
@Controller('auth/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  list(@CurrentAuth() auth: AuthContext): Promise<SessionView[]> {
    return this.sessions.list(auth.userId, auth.sessionId);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Session revoked')
  async revoke(@CurrentAuth() auth: AuthContext, @Param('id', uuid) id: string): Promise<null> {
    if (!(await this.sessions.revoke(auth.userId, id, 'revoked'))) {
      throw new AppException('SESSION_NOT_FOUND', 'No such session');
    }
    return null;
  }
}
