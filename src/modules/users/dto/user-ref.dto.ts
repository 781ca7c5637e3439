import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

/** `{ userId }` bodies: send a friend request, block. */
export class UserRefDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId!: string;
}

/** `:id` of a user or of a friend request. */
export class IdParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;
}

/** `:userId` of a friend or a blocked user. */
export class UserIdParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId!: string;
}
