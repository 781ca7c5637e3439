import { createTestDatabase, type TestDatabase } from './database';
import { startTestApp, type TestApp, type TestAppOptions } from './app';
import { uniqueRedisPrefix } from './redis';

export interface Replicas {
  readonly apps: TestApp[];
  readonly database: TestDatabase;
  /** The Redis key prefix every replica shares (their Socket.IO adapter channels included). */
  readonly keyPrefix: string;
  /** Closes every replica (in parallel), then drops the shared database. */
  close(): Promise<void>;
}

/**
 * `count` API replicas in this process, as separate Nest apps on their own ports, over ONE
 * PostgreSQL database and ONE Redis key prefix: what two containers behind a load balancer share.
 * Anything a replica keeps in memory is therefore really not visible to the others.
 */
export async function startReplicas(
  count: number,
  options: Omit<TestAppOptions, 'database'> = {},
): Promise<Replicas> {
  const database = await createTestDatabase();
  const keyPrefix = uniqueRedisPrefix();
  const apps: TestApp[] = [];
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    try {
      await Promise.allSettled(apps.map((app) => app.close()));
    } finally {
      await database.drop();
    }
  };
  try {
    for (let index = 0; index < count; index += 1) {
      apps.push(
        await startTestApp({
          ...options,
          database,
          env: {
            ...options.env,
            REDIS_KEY_PREFIX: keyPrefix,
            // The first replica migrates (the database is migrated already); like production.
            DATABASE_MIGRATE_ON_START: index === 0 ? 'true' : 'false',
          },
        }),
      );
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { apps, database, keyPrefix, close };
}
