import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import { MEDIA_PURPOSES } from '../media.policy';
import type { MediaPurpose } from '../media.schema';

/** POST /media/uploads. Type and size limits per purpose are checked by the service (config). */
export class CreateUploadDto {
  @ApiProperty({ example: 'holiday.jpg', description: 'Original name, kept only for downloads' })
  @IsString()
  @Length(1, 255)
  filename!: string;

  @ApiProperty({ example: 'image/jpeg' })
  @IsString()
  @MaxLength(100)
  contentType!: string;

  @ApiProperty({
    example: 123456,
    description: 'Exact size in bytes; the upload may not exceed it',
  })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  size!: number;

  @ApiProperty({ enum: MEDIA_PURPOSES })
  @IsIn(MEDIA_PURPOSES)
  purpose!: MediaPurpose;
}
