import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import {
  CLIENT_MESSAGE_ID_PATTERN,
  MAX_ATTACHMENTS,
  MESSAGE_BODY_MAX,
  MESSAGES_PAGE_DEFAULT,
  MESSAGES_PAGE_MAX,
} from '../chat.rules';

/**
 * Shape checks only. Trimming and the 1–4000 character rule run in MessagesService, which the
 * gateway calls too, so REST and sockets answer the same.
 */
export class SendMessageDto {
  @ApiProperty({
    description: 'chosen by the client, reused on retries (idempotency key)',
    pattern: CLIENT_MESSAGE_ID_PATTERN.source,
  })
  @IsString()
  @Matches(CLIENT_MESSAGE_ID_PATTERN, {
    message: 'clientMessageId must be 1-64 characters of A-Z a-z 0-9 _ -',
  })
  clientMessageId!: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: MESSAGE_BODY_MAX })
  @IsOptional()
  @IsString()
  // Generous: the exact limit counts characters after trimming (service).
  @MaxLength(MESSAGE_BODY_MAX * 4)
  body?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'replyToId must be a UUID' })
  replyToId?: string;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_ATTACHMENTS })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ATTACHMENTS)
  @ArrayUnique()
  @IsUUID('all', { each: true, message: 'each attachmentId must be a UUID' })
  attachmentIds?: string[];
}

export class EditMessageDto {
  @ApiProperty({ minLength: 1, maxLength: MESSAGE_BODY_MAX })
  @IsString()
  @MaxLength(MESSAGE_BODY_MAX * 4)
  body!: string;
}

export class MarkReadDto {
  @ApiProperty({ minimum: 0, description: 'everything up to this seq is read' })
  @IsInt({ message: 'seq must be a whole number' })
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  seq!: number;
}

const SEQ_TEXT = /^\d{1,16}$/;

/** Seqs stay text here; MessagesService parses them (it also checks 2^53 and before/after together). */
export class HistoryQueryDto {
  @ApiPropertyOptional({ description: 'older than this seq, newest first' })
  @IsOptional()
  @IsString()
  @Matches(SEQ_TEXT, { message: 'before must be a whole number' })
  before?: string;

  @ApiPropertyOptional({ description: 'newer than this seq, oldest first' })
  @IsOptional()
  @IsString()
  @Matches(SEQ_TEXT, { message: 'after must be a whole number' })
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MESSAGES_PAGE_MAX, default: MESSAGES_PAGE_DEFAULT })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,3}$/, { message: 'limit must be a whole number' })
  limit?: string;
}
