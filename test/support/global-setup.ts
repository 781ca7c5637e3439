import { Client } from 'pg';
import Redis from 'ioredis';

/** Fails the run early, with a useful message, when the real services the tests need are absent. */
export default async function globalSetup(): Promise<void> {
  const databaseUrl =
    process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const pg = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  try {
    await pg.connect();
    await pg.query('select 1');
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at TEST_DATABASE_URL=${databaseUrl} (${String(error)}). Run the tests with \`npm test\`, which starts it.`,
    );
  } finally {
    await pg.end().catch(() => undefined);
  }
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 3_000,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `Redis is not reachable at TEST_REDIS_URL=${redisUrl} (${String(error)}). Run the tests with \`npm test\`, which starts it.`,
    );
  } finally {
    redis.disconnect();
  }
}
