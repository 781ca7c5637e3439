import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateIf } from 'class-validator';

/** The registration rule (auth's RegisterDto uses the same pattern). */
export const USERNAME_PATTERN = /^[a-zA-Z0-9_.]{3,30}$/;
export const BIO_MAX_LENGTH = 150;

/** Omitted means "leave as is"; null is only meaningful for avatarMediaId, elsewhere it fails IsString. */
const present = (_: object, value: unknown): boolean => value !== undefined;

export class UpdateMeDto {
  @ApiPropertyOptional({ example: 'asha_k', pattern: USERNAME_PATTERN.source })
  @ValidateIf(present)
  @IsString()
  @Matches(USERNAME_PATTERN, {
    message: 'username must be 3–30 characters of letters, digits, _ and .',
  })
  username?: string;

  @ApiPropertyOptional({ maxLength: BIO_MAX_LENGTH })
  @ValidateIf(present)
  @IsString()
  @MaxLength(BIO_MAX_LENGTH, { message: `bio must be at most ${BIO_MAX_LENGTH} characters` })
  bio?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    description:
      'A ready avatar upload of yours (else 422 MEDIA_NOT_READY), or null to remove the avatar.',
  })
  @IsOptional()
  @IsUUID('all', { message: 'avatarMediaId must be a UUID' })
  avatarMediaId?: string | null;
}
