import { plainToInstance } from 'class-transformer';
import { createHmac } from 'node:crypto';
import { validateSync, type ValidationError } from 'class-validator';
import type { AppConfig, S3Settings } from './app-config';
import { EnvironmentVariables, SECRET_VARIABLES } from './env.schema';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const MIN_PRODUCTION_SECRET_BYTES = 32;
const KNOWN_WEAK_SECRETS = new Set(['secret', 'changeme', 'change-me', 'password', 'test', 'dev']);

function describe(error: ValidationError): string[] {
  const name = error.property;
  const messages = Object.values(error.constraints ?? {});
  return messages.map((message) => {
    const shown = SECRET_VARIABLES.has(name) ? '' : ` (got ${JSON.stringify(error.value)})`;
    return message.startsWith(name) ? `${message}${shown}` : `${name}: ${message}${shown}`;
  });
}

function productionProblems(env: EnvironmentVariables): string[] {
  const problems: string[] = [];
  for (const name of ['JWT_ACCESS_SECRET', 'OTP_SECRET', 'PASSWORD_PEPPER'] as const) {
    const value = env[name];
    if (Buffer.byteLength(value, 'utf8') < MIN_PRODUCTION_SECRET_BYTES) {
      problems.push(`${name}: must be at least ${MIN_PRODUCTION_SECRET_BYTES} bytes in production`);
    } else if (KNOWN_WEAK_SECRETS.has(value.toLowerCase()) || /^(.)\1+$/.test(value)) {
      problems.push(`${name}: is a default or trivially weak value`);
    }
  }
  if (!env.DATABASE_URL) {
    problems.push(
      'DATABASE_URL: required in production (the embedded PGlite database is for development only)',
    );
  }
  if (splitOrigins(env.CORS_ORIGINS).some((origin) => origin.includes('*'))) {
    problems.push('CORS_ORIGINS: a wildcard origin is refused in production');
  }
  if (!env.COOKIE_SECURE) {
    problems.push('COOKIE_SECURE: must be true in production');
  }
  if (!env.SMTP_URL) {
    problems.push(
      'SMTP_URL: required in production (the development mail folder is never used there)',
    );
  }
  // Unset, the media URL key is derived from JWT_ACCESS_SECRET, itself held to 32 bytes above.
  if (
    env.MEDIA_URL_SECRET !== undefined &&
    Buffer.byteLength(env.MEDIA_URL_SECRET, 'utf8') < MIN_PRODUCTION_SECRET_BYTES
  ) {
    problems.push(
      `MEDIA_URL_SECRET: must be at least ${MIN_PRODUCTION_SECRET_BYTES} bytes in production`,
    );
  }
  return problems;
}

function mediaProblems(env: EnvironmentVariables): string[] {
  if (env.MEDIA_DRIVER !== 's3') {
    // The local driver receives the file bytes itself; in production they go straight to the store.
    return env.NODE_ENV === 'production'
      ? [
          'MEDIA_DRIVER: "local" is refused in production (the API must not receive file bytes); use "s3"',
        ]
      : [];
  }
  const required = ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const;
  return required
    .filter((name) => env[name] === undefined)
    .map((name) => `${name}: required when MEDIA_DRIVER=s3`);
}

function s3Settings(env: EnvironmentVariables): S3Settings | undefined {
  if (env.MEDIA_DRIVER !== 's3') return undefined;
  // mediaProblems has refused a missing one before this runs.
  const required = (value: string | undefined, name: string): string => {
    if (value === undefined) throw new ConfigError([`${name}: required when MEDIA_DRIVER=s3`]);
    return value;
  };
  return {
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    bucket: required(env.S3_BUCKET, 'S3_BUCKET'),
    accessKeyId: required(env.S3_ACCESS_KEY_ID, 'S3_ACCESS_KEY_ID'),
    secretAccessKey: required(env.S3_SECRET_ACCESS_KEY, 'S3_SECRET_ACCESS_KEY'),
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
  };
}

/** A separate key for media URLs, so a leaked URL signature says nothing about the JWT key. */
function deriveMediaUrlSecret(env: EnvironmentVariables): string {
  return (
    env.MEDIA_URL_SECRET ??
    createHmac('sha256', env.JWT_ACCESS_SECRET)
      .update('baat-cheet/media-url/v1')
      .digest('base64url')
  );
}

function splitOrigins(value: string): string[] {
  return value
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin.length > 0);
}

function originProblems(origins: string[]): string[] {
  return origins
    .filter((origin) => origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin))
    .map((origin) => `CORS_ORIGINS: "${origin}" is not an origin like https://chat.example.com`);
}

/** Validates the environment once and returns the typed config, or throws a ConfigError naming every bad variable. */
export function loadConfig(raw: NodeJS.ProcessEnv): AppConfig {
  const env = plainToInstance(EnvironmentVariables, { ...raw }, { exposeDefaultValues: true });
  const problems = validateSync(env, { whitelist: false, skipMissingProperties: false }).flatMap(
    describe,
  );
  const origins = splitOrigins(env.CORS_ORIGINS ?? '');
  if (problems.length === 0) {
    problems.push(...originProblems(origins));
    if (env.NODE_ENV === 'production') problems.push(...productionProblems(env));
    problems.push(...mediaProblems(env));
    if (env.COOKIE_SAMESITE === 'none' && !env.COOKIE_SECURE) {
      problems.push('COOKIE_SAMESITE: "none" requires COOKIE_SECURE=true');
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const isProduction = env.NODE_ENV === 'production';
  return {
    env: env.NODE_ENV,
    isProduction,
    http: {
      host: env.HOST,
      port: env.PORT,
      corsOrigins: origins,
      trustProxy: env.TRUST_PROXY,
      jsonBodyLimit: env.JSON_BODY_LIMIT,
      docsEnabled: env.DOCS_ENABLED ?? !isProduction,
      throttle: { ttlMs: env.THROTTLE_TTL_MS, limit: env.THROTTLE_LIMIT },
    },
    logLevel: env.LOG_LEVEL,
    workersEnabled: env.WORKERS === 'on',
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    database: env.DATABASE_URL
      ? {
          driver: 'postgres',
          url: env.DATABASE_URL,
          poolMax: env.DATABASE_POOL_MAX,
          migrateOnStart: env.DATABASE_MIGRATE_ON_START,
        }
      : {
          driver: 'pglite',
          dataDir: env.PGLITE_DATA_DIR,
          migrateOnStart: env.DATABASE_MIGRATE_ON_START,
        },
    redis: { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX },
    auth: {
      accessSecret: env.JWT_ACCESS_SECRET,
      accessTtlSeconds: env.JWT_ACCESS_TTL,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      refreshTtlSeconds: env.REFRESH_TOKEN_TTL,
      refreshGraceSeconds: env.REFRESH_GRACE_SECONDS,
      otpSecret: env.OTP_SECRET,
      passwordPepper: env.PASSWORD_PEPPER,
      bcryptCost: env.BCRYPT_COST,
    },
    cookies: {
      secure: env.COOKIE_SECURE,
      sameSite: env.COOKIE_SAMESITE,
      domain: env.COOKIE_DOMAIN,
    },
    mail: {
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM,
      devDir: env.MAIL_DEV_DIR,
      retryBaseMs: env.MAIL_RETRY_BASE_MS,
      appName: env.APP_NAME,
      appUrl: env.APP_URL,
    },
    media: {
      driver: env.MEDIA_DRIVER,
      localDir: env.MEDIA_LOCAL_DIR,
      urlSecret: deriveMediaUrlSecret(env),
      publicBaseUrl: env.MEDIA_PUBLIC_BASE_URL,
      uploadUrlTtlSeconds: env.MEDIA_UPLOAD_URL_TTL,
      downloadUrlTtlSeconds: env.MEDIA_DOWNLOAD_URL_TTL,
      maxBytes: { avatar: env.MEDIA_AVATAR_MAX_BYTES, attachment: env.MEDIA_ATTACHMENT_MAX_BYTES },
      pendingTtlSeconds: env.MEDIA_PENDING_TTL_SECONDS,
      cleanupIntervalSeconds: env.MEDIA_CLEANUP_INTERVAL_SECONDS,
      s3: s3Settings(env),
    },
  };
}
