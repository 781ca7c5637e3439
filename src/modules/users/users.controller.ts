import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../../common/auth/auth-context';
import { CurrentAuth } from '../../common/decorators/current-auth.decorator';
import type { SelfUserDto } from './users.mapper';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  me(@CurrentAuth() auth: AuthContext): Promise<SelfUserDto> {
    return this.users.getSelf(auth.userId);
  }
}
