import { ApiProperty } from '@nestjs/swagger';
import { IsString, IsUUID, MaxLength } from 'class-validator';

export class MediaIdParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'mediaId must be a UUID' })
  mediaId!: string;
}

/** `?token=` of the local driver's signed URLs. */
export class SignedTokenQueryDto {
  @ApiProperty()
  @IsString()
  @MaxLength(4096)
  token!: string;
}
