export type NodeEnv = 'development' | 'test' | 'production';

/** The typed, validated configuration every provider receives. Built once by `loadConfig`. */
export interface AppConfig {
  readonly env: NodeEnv;
  readonly isProduction: boolean;
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly corsOrigins: readonly string[];
    readonly trustProxy: number;
    readonly jsonBodyLimit: string;
    readonly docsEnabled: boolean;
    readonly throttle: { readonly ttlMs: number; readonly limit: number };
  };
  readonly logLevel: string;
  readonly workersEnabled: boolean;
  readonly shutdownGraceMs: number;
  readonly database:
    | {
        readonly driver: 'postgres';
        readonly url: string;
        readonly poolMax: number;
        readonly migrateOnStart: boolean;
      }
    | { readonly driver: 'pglite'; readonly dataDir: string; readonly migrateOnStart: boolean };
  readonly redis: { readonly url: string; readonly keyPrefix: string };
  readonly auth: {
    readonly accessSecret: string;
    readonly accessTtlSeconds: number;
    readonly issuer: string;
    readonly audience: string;
    readonly refreshTtlSeconds: number;
    readonly refreshGraceSeconds: number;
    readonly otpSecret: string;
    readonly passwordPepper: string;
    readonly bcryptCost: number;
  };
  readonly cookies: {
    readonly secure: boolean;
    readonly sameSite: 'strict' | 'lax' | 'none';
    readonly domain?: string;
  };
  readonly mail: {
    readonly smtpUrl?: string;
    readonly from: string;
    readonly devDir: string;
    /** First retry delay of a failed mail job; doubles per attempt, with jitter. */
    readonly retryBaseMs: number;
    readonly appName: string;
    readonly appUrl: string;
  };
  readonly media: {
    readonly driver: 'local' | 's3';
    readonly localDir: string;
    /** HMAC key of the local driver's signed URLs (derived from JWT_ACCESS_SECRET when unset). */
    readonly urlSecret: string;
    /** Origin the signed URLs point at; unset = the origin of the request that asked for them. */
    readonly publicBaseUrl?: string;
    readonly uploadUrlTtlSeconds: number;
    readonly downloadUrlTtlSeconds: number;
    readonly maxBytes: { readonly avatar: number; readonly attachment: number };
    /** Pending uploads older than this are deleted (object and record) by the cleanup job. */
    readonly pendingTtlSeconds: number;
    /** How often the cleanup job runs. */
    readonly cleanupIntervalSeconds: number;
    /** Present exactly when `driver` is `s3`. */
    readonly s3?: S3Settings;
  };
}

export interface S3Settings {
  /** S3-compatible endpoint (Ceph radosgw, MinIO…); unset = AWS for `region`. */
  readonly endpoint?: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** `endpoint/bucket/key` URLs instead of `bucket.endpoint/key` (most compatibles need it). */
  readonly forcePathStyle: boolean;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
