import { Body, Controller, Get, Param, Patch, Query, UseInterceptors } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../../common/auth/auth-context';
import { CurrentAuth } from '../../common/decorators/current-auth.decorator';
import { ResponseMessage } from '../../common/decorators/response-message.decorator';
import { NoStoreInterceptor } from '../../common/http/no-store.interceptor';
import type { Page } from '../../common/http/page';
import { SearchUsersQueryDto } from './dto/search-users.dto';
import { UpdateMeDto } from './dto/update-me.dto';
import { IdParamsDto } from './dto/user-ref.dto';
import type { PublicUserDto, SelfUserDto } from './users.mapper';
import { UsersService } from './users.service';

@ApiTags('users')
@UseInterceptors(NoStoreInterceptor)
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  // `me` routes come before `:id` so "me" is never read as an id.
  @Get('me')
  me(@CurrentAuth() auth: AuthContext): Promise<SelfUserDto> {
    return this.users.getSelf(auth.userId);
  }

  @Patch('me')
  @ResponseMessage('Profile updated')
  updateMe(@CurrentAuth() auth: AuthContext, @Body() body: UpdateMeDto): Promise<SelfUserDto> {
    return this.users.updateSelf(auth.userId, body);
  }

  @Get()
  search(
    @CurrentAuth() auth: AuthContext,
    @Query() query: SearchUsersQueryDto,
  ): Promise<Page<PublicUserDto>> {
    return this.users.search(auth.userId, query);
  }

  @Get(':id')
  profile(@CurrentAuth() auth: AuthContext, @Param() params: IdParamsDto): Promise<PublicUserDto> {
    return this.users.getProfile(auth.userId, params.id);
  }
}
