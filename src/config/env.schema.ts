import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
} from 'class-validator';

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalised)) return true;
  if (['false', '0', 'no', 'off'].includes(normalised)) return false;
  return value;
};

const toInt = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string' || !/^-?\d+$/.test(value.trim())) return value;
  return Number.parseInt(value, 10);
};

const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/**
 * The raw environment, as strings converted to their types. Only `loadConfig` reads it;
 * everything else gets the typed `AppConfig`.
 */
export class EnvironmentVariables {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @IsString()
  HOST = '0.0.0.0';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @IsIn(['on', 'off'])
  WORKERS: 'on' | 'off' = 'on';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  SHUTDOWN_GRACE_MS = 10_000;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  @IsString()
  PGLITE_DATA_DIR = '.data/pglite';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  DATABASE_POOL_MAX = 10;

  @Transform(toBoolean)
  @IsBoolean()
  DATABASE_MIGRATE_ON_START = true;

  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @Matches(/^[A-Za-z0-9:_.-]{0,64}$/, {
    message: 'REDIS_KEY_PREFIX may hold only letters, digits and : _ . - (at most 64)',
  })
  REDIS_KEY_PREFIX = 'bc:';

  @IsString()
  CORS_ORIGINS = '';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10)
  TRUST_PROXY = 0;

  @Matches(/^\d+(b|kb|mb)?$/i, { message: 'JSON_BODY_LIMIT must be bytes or a size like 100kb' })
  JSON_BODY_LIMIT = '100kb';

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  THROTTLE_TTL_MS = 60_000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  THROTTLE_LIMIT = 600;

  @Transform(emptyToUndefined)
  @Transform(toBoolean)
  @IsOptional()
  @IsBoolean()
  DOCS_ENABLED?: boolean;

  @IsString()
  @MinLength(1, { message: 'JWT_ACCESS_SECRET is required' })
  JWT_ACCESS_SECRET!: string;

  @Transform(toInt)
  @IsInt()
  @Min(30)
  @Max(86_400)
  JWT_ACCESS_TTL = 900;

  @IsString()
  @MinLength(1)
  JWT_ISSUER = 'baat-cheet';

  @IsString()
  @MinLength(1)
  JWT_AUDIENCE = 'baat-cheet-clients';

  // Low minimum so tests can watch a session's absolute expiry pass; production uses days.
  @Transform(toInt)
  @IsInt()
  @Min(5)
  REFRESH_TOKEN_TTL = 604_800;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(120)
  REFRESH_GRACE_SECONDS = 10;

  @IsString()
  @MinLength(1, { message: 'OTP_SECRET is required' })
  OTP_SECRET!: string;

  @IsString()
  @MinLength(1, { message: 'PASSWORD_PEPPER is required' })
  PASSWORD_PEPPER!: string;

  @Transform(toInt)
  @IsInt()
  @Min(4)
  @Max(15)
  BCRYPT_COST = 12;

  @Transform(toBoolean)
  @IsBoolean()
  COOKIE_SECURE = false;

  @IsIn(['strict', 'lax', 'none'])
  COOKIE_SAMESITE: 'strict' | 'lax' | 'none' = 'lax';

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^\.?[a-z0-9.-]+$/i, { message: 'COOKIE_DOMAIN must be a host name' })
  COOKIE_DOMAIN?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^smtps?:\/\/.+/, { message: 'SMTP_URL must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string;

  @IsString()
  @MinLength(3)
  MAIL_FROM = 'Baat Cheet <no-reply@localhost>';

  @IsString()
  MAIL_DEV_DIR = '.data/mail';

  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(600_000)
  MAIL_RETRY_BASE_MS = 15_000;

  @IsString()
  @MinLength(1)
  APP_NAME = 'Baat Cheet';

  @Matches(/^https?:\/\/.+/, { message: 'APP_URL must be an http(s) URL' })
  APP_URL = 'http://localhost:5173';

  @IsIn(['local', 's3'])
  MEDIA_DRIVER: 'local' | 's3' = 'local';

  @IsString()
  @MinLength(1)
  MEDIA_LOCAL_DIR = '.data/media';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  MEDIA_URL_SECRET?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s]+[^/\s]$/, {
    message: 'MEDIA_PUBLIC_BASE_URL must be an http(s) URL without a trailing slash',
  })
  MEDIA_PUBLIC_BASE_URL?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  MEDIA_UPLOAD_URL_TTL = 900;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  MEDIA_DOWNLOAD_URL_TTL = 300;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  MEDIA_AVATAR_MAX_BYTES = 5 * 1024 * 1024;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  MEDIA_ATTACHMENT_MAX_BYTES = 50 * 1024 * 1024;

  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(30 * 86_400)
  MEDIA_PENDING_TTL_SECONDS = 86_400;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  MEDIA_CLEANUP_INTERVAL_SECONDS = 3_600;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/.+/, { message: 'S3_ENDPOINT must be an http(s) URL' })
  S3_ENDPOINT?: string;

  @IsString()
  @MinLength(1)
  S3_REGION = 'us-east-1';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  S3_BUCKET?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  S3_ACCESS_KEY_ID?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  S3_SECRET_ACCESS_KEY?: string;

  @Transform(toBoolean)
  @IsBoolean()
  S3_FORCE_PATH_STYLE = true;
}

/** Variables whose values must never be printed, even in a validation message. */
export const SECRET_VARIABLES = new Set<string>([
  'JWT_ACCESS_SECRET',
  'OTP_SECRET',
  'PASSWORD_PEPPER',
  'DATABASE_URL',
  'REDIS_URL',
  'SMTP_URL',
  'MEDIA_URL_SECRET',
  'S3_SECRET_ACCESS_KEY',
]);
