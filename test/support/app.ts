import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { ModuleMetadata } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createHttpApp } from '../../src/app.factory';
import type { AppConfig } from '../../src/config/app-config';
import { loadConfig } from '../../src/config/load-config';
import { assertTestDatabase, createTestDatabase, type TestDatabase } from './database';
import { deleteKeysUnder, rawRedis, testRedisUrl, uniqueRedisPrefix } from './redis';

/** Environment every test app starts from; tests override single variables. */
export function testEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_ACCESS_SECRET: 'test-access-secret-that-is-long-enough-0123456789',
    OTP_SECRET: 'test-otp-secret-that-is-long-enough-0123456789',
    PASSWORD_PEPPER: 'test-pepper-that-is-long-enough-0123456789abcdef',
    BCRYPT_COST: '4',
    REDIS_URL: testRedisUrl(),
    REDIS_KEY_PREFIX: uniqueRedisPrefix(),
    CORS_ORIGINS: 'http://localhost:5173',
    THROTTLE_LIMIT: '10000',
    SHUTDOWN_GRACE_MS: '5000',
    MAIL_DEV_DIR: '/tmp/baatcheet-test-mail',
    ...overrides,
  };
}

/** Collects pino's JSON lines so a test can assert what was (not) logged. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    callback();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  /** Base URL, e.g. http://127.0.0.1:43121 */
  url: string;
  database?: TestDatabase;
  logs?: LogCapture;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string | undefined>;
  /** Reuse a database (two replicas over one store); otherwise each app gets a fresh one. */
  database?: TestDatabase;
  captureLogs?: boolean;
  /** Extra modules mounted into the app, e.g. `[ProbeModule]` for test-only routes. */
  imports?: ModuleMetadata['imports'];
}

/**
 * A real app on a real port, over its own PostgreSQL database and Redis key prefix.
 * `env.DATABASE_URL` overrides the database (it must still name a test database; empty = PGlite).
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const override = options.env?.DATABASE_URL;
  if (override) assertTestDatabase(override);
  const ownsDatabase = !options.database && override === undefined;
  const database = options.database ?? (ownsDatabase ? await createTestDatabase() : undefined);
  const logs = options.captureLogs ? new LogCapture() : undefined;
  let app: NestExpressApplication | undefined;
  try {
    const config = loadConfig(
      testEnv({
        DATABASE_URL: database?.url,
        ...(logs ? { LOG_LEVEL: 'debug' } : {}),
        ...options.env,
      }),
    );
    app = await createHttpApp(config, { logDestination: logs, imports: options.imports });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const started = app;
    let closed = false;
    return {
      app: started,
      config,
      url: `http://127.0.0.1:${port}`,
      database,
      logs,
      close: async () => {
        if (closed) return;
        closed = true;
        try {
          await started.close();
        } finally {
          await cleanUp(config.redis.keyPrefix, ownsDatabase ? database : undefined);
        }
      },
    };
  } catch (error) {
    await app?.close().catch(() => undefined);
    if (ownsDatabase) await database?.drop();
    throw error;
  }
}

async function cleanUp(keyPrefix: string, database?: TestDatabase): Promise<void> {
  const redis = rawRedis();
  try {
    await deleteKeysUnder(redis, keyPrefix);
  } finally {
    redis.disconnect();
  }
  await database?.drop();
}
