import { testEnv } from './app';
import { createTestDatabase, type TestDatabase } from './database';
import { freePort } from './ports';
import { spawnEntry, type AppProcess } from './process';
import { deleteKeysUnder, rawRedis, uniqueRedisPrefix } from './redis';
import { waitFor } from './wait';

export interface ChildReplica {
  /** 0-based; replica 0 runs the queue processors (WORKERS=on), like scripts/cluster.sh. */
  readonly index: number;
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly process: AppProcess;
}

export interface ChildReplicas {
  readonly replicas: ChildReplica[];
  readonly database: TestDatabase;
  /** The Redis key prefix every replica shares. */
  readonly keyPrefix: string;
  /** SIGKILLs whatever still runs, deletes the shared Redis keys and drops the database. */
  close(): Promise<void>;
}

export interface ChildReplicasOptions {
  /** Variables on top of testEnv() and the replica settings (SMTP_URL, ...). */
  env?: Record<string, string | undefined>;
  /** Per replica, until GET /health/ready answers 200 (default 30 s). */
  readyTimeoutMs?: number;
}

/**
 * `count` API replicas as separate OS processes (`src/main.ts` under ts-node, no build needed),
 * over ONE migrated PostgreSQL test database and ONE Redis key prefix, each on its own loopback
 * port: replicas a test can SIGKILL. Settings as scripts/cluster.sh gives them: TRUST_PROXY=1,
 * DATABASE_MIGRATE_ON_START=false (migrated once, here), WORKERS=on for the first only.
 */
export async function startChildReplicas(
  count: number,
  options: ChildReplicasOptions = {},
): Promise<ChildReplicas> {
  const database = await createTestDatabase();
  const keyPrefix = uniqueRedisPrefix();
  const replicas: ChildReplica[] = [];
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    try {
      await Promise.allSettled(replicas.map((replica) => replica.process.dispose()));
      const redis = rawRedis();
      try {
        await deleteKeysUnder(redis, keyPrefix);
      } finally {
        redis.disconnect();
      }
    } finally {
      await database.drop();
    }
  };
  try {
    const deaths: Promise<never>[] = [];
    for (let index = 0; index < count; index += 1) {
      const port = await freePort();
      const env = testEnv({
        PORT: String(port),
        DATABASE_URL: database.url,
        REDIS_KEY_PREFIX: keyPrefix,
        DATABASE_MIGRATE_ON_START: 'false',
        WORKERS: index === 0 ? 'on' : 'off',
        TRUST_PROXY: '1',
        LOG_LEVEL: 'warn',
        ...options.env,
      });
      const child = spawnEntry('src/main.ts', { env });
      replicas.push({ index, port, url: `http://127.0.0.1:${port}`, process: child });
      // A replica that dies while booting fails the start at once, with its stderr.
      const death = new Promise<never>((_, reject) =>
        child.child.once('exit', (code, signal) =>
          reject(
            new Error(
              `replica ${index} exited (${signal ?? code}) before it was ready: ${child.stderr().slice(-2000)}`,
            ),
          ),
        ),
      );
      death.catch(() => undefined); // handled: raced below, ignored once ready
      deaths.push(death);
    }
    // They boot in parallel.
    await Promise.all(
      replicas.map((replica) =>
        Promise.race([
          waitFor(
            `replica ${replica.index} (${replica.url}) to answer GET /health/ready with 200`,
            async () => (await fetch(`${replica.url}/health/ready`)).status === 200,
            { timeoutMs: options.readyTimeoutMs ?? 30_000, intervalMs: 100 },
          ),
          deaths[replica.index],
        ]),
      ),
    );
  } catch (error) {
    await close();
    throw error;
  }
  return { replicas, database, keyPrefix, close };
}
