import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsEmail,
  IsJWT,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';

/** Bounds only; the real password rules (PasswordPolicy) run in the service and answer WEAK_PASSWORD. */
const PASSWORD_MAX_INPUT = 1024;

export const USERNAME_PATTERN = /^[a-zA-Z0-9_.]{3,30}$/;

export class RegisterDto {
  @ApiProperty({ example: 'asha_k', pattern: USERNAME_PATTERN.source })
  @IsString()
  @Matches(USERNAME_PATTERN, {
    message: 'username must be 3–30 characters of letters, digits, _ and .',
  })
  username!: string;

  @ApiProperty({ example: 'asha@example.com' })
  @IsString()
  @MaxLength(254)
  @IsEmail(
    { allow_ip_domain: false, require_tld: true },
    { message: 'email must be a valid email address' },
  )
  email!: string;

  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString()
  @MaxLength(PASSWORD_MAX_INPUT)
  password!: string;
}

export class VerifyOtpDto {
  @ApiProperty()
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email!: string;

  @ApiProperty({ example: '042917' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'otp must be 6 digits' })
  otp!: string;
}

export class LoginDto {
  @ApiProperty({ description: 'Email or username' })
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  email!: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(PASSWORD_MAX_INPUT)
  password!: string;
}

export class RefreshDto {
  @ApiPropertyOptional({
    description: 'Bearer transport only; the web client uses the refresh_token cookie',
  })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  @IsJWT({ message: 'refreshToken is malformed' })
  refreshToken?: string;
}

export class ForgotPasswordDto {
  @ApiProperty()
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email!: string;
}

export class ResetPasswordDto {
  @ApiProperty()
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email!: string;

  @ApiProperty()
  @IsString()
  @Matches(/^\d{6}$/, { message: 'otp must be 6 digits' })
  otp!: string;

  @ApiProperty()
  @IsString()
  @MaxLength(PASSWORD_MAX_INPUT)
  password!: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(PASSWORD_MAX_INPUT)
  currentPassword!: string;

  @ApiProperty()
  @IsString()
  @MaxLength(PASSWORD_MAX_INPUT)
  newPassword!: string;
}
