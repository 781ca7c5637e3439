import { ApiProperty } from '@nestjs/swagger';
import { IsString, IsUUID, MaxLength } from 'class-validator';

/** `:id` of a conversation. */
export class ConversationParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;
}

/** `:id/members/:userId`. */
export class MemberParamsDto extends ConversationParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId!: string;
}

/** `:id/messages/:messageId`. */
export class MessageParamsDto extends ConversationParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'messageId must be a UUID' })
  messageId!: string;
}

/** `:id/messages/:messageId/reactions/:emoji`; the emoji itself is checked by the service. */
export class ReactionParamsDto extends MessageParamsDto {
  @ApiProperty({ description: 'one emoji, URL-encoded', example: '%F0%9F%91%8D' })
  @IsString()
  @MaxLength(64)
  emoji!: string;
}
