import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import type { FriendRequestDirection } from '../users.mapper';
import { PageQueryDto } from './page-query.dto';

export class FriendRequestsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['incoming', 'outgoing'], default: 'incoming' })
  @IsOptional()
  @IsIn(['incoming', 'outgoing'], { message: 'direction must be incoming or outgoing' })
  direction: FriendRequestDirection = 'incoming';
}
