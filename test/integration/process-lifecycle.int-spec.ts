import { testEnv } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort } from '../support/ports';
import { spawnEntry, type AppProcess } from '../support/process';
import { deleteKeysUnder, rawRedis } from '../support/redis';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { waitFor } from '../support/wait';

const GRACE_MS = 5_000;

describe('process entry points', () => {
  let database: TestDatabase;
  let redisServer: RedisServer | undefined;
  const processes: AppProcess[] = [];
  const envs: NodeJS.ProcessEnv[] = [];

  const waitUntilReady = (child: AppProcess, base: string): Promise<true> =>
    waitFor(
      'the spawned API to be ready',
      async () => {
        if (child.child.exitCode !== null) throw new Error(`exited: ${child.stderr()}`);
        return (await fetch(`${base}/health/ready`)).status === 200;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );

  const spawnWithTestEnv = (entry: string, overrides: Record<string, string> = {}): AppProcess => {
    const env = testEnv({
      DATABASE_URL: database.url,
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      ...overrides,
    });
    envs.push(env);
    const child = spawnEntry(entry, { env });
    processes.push(child);
    return child;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(processes.map((child) => child.dispose()));
    await redisServer?.stop();
    const redis = rawRedis();
    try {
      for (const env of envs) await deleteKeysUnder(redis, env.REDIS_KEY_PREFIX ?? '');
    } finally {
      redis.disconnect();
    }
    await database?.drop();
  });

  it('main refuses to start without JWT_ACCESS_SECRET, naming it and printing no secret', async () => {
    const env = testEnv({ DATABASE_URL: database.url, JWT_ACCESS_SECRET: undefined });
    const child = spawnEntry('src/main.ts', { env });
    processes.push(child);
    const exit = await child.waitForExit();
    expect(exit).toEqual({ code: 1, signal: null });
    expect(child.stderr()).toMatch(/Invalid configuration/);
    expect(child.stderr()).toMatch(/JWT_ACCESS_SECRET is required/);
    for (const name of ['OTP_SECRET', 'PASSWORD_PEPPER', 'DATABASE_URL'] as const) {
      expect(child.stderr()).not.toContain(String(env[name]));
    }
  });

  it('main serves, and on SIGTERM drains and exits 0 within SHUTDOWN_GRACE_MS', async () => {
    const port = await freePort();
    const child = spawnWithTestEnv('src/main.ts', { PORT: String(port) });
    const base = `http://127.0.0.1:${port}`;
    await waitUntilReady(child, base);

    const signalledAt = Date.now();
    child.child.kill('SIGTERM');
    const exit = await child.waitForExit(GRACE_MS + 2_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(GRACE_MS);
    expect(child.stdout()).toMatch(/SIGTERM received, shutting down/);
    expect(child.stdout()).toMatch(/shutdown complete/);
    await expect(fetch(`${base}/health/live`)).rejects.toThrow();
  });

  // With Redis gone, BullMQ's graceful close would wait forever for a QUIT it can't send.
  it('main exits 0 within SHUTDOWN_GRACE_MS on SIGTERM while Redis is down', async () => {
    redisServer = await startRedisServer();
    const port = await freePort();
    const grace = 3_000;
    const child = spawnWithTestEnv('src/main.ts', {
      PORT: String(port),
      REDIS_URL: redisServer.url,
      SHUTDOWN_GRACE_MS: String(grace),
    });
    const base = `http://127.0.0.1:${port}`;
    await waitUntilReady(child, base);
    await redisServer.kill();
    await waitFor('readiness to notice Redis is gone', async () => {
      return (await fetch(`${base}/health/ready`)).status === 503;
    });

    child.child.kill('SIGTERM');
    const exit = await child.waitForExit(grace + 2_000);
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('worker starts, logs "worker started", and exits 0 on SIGTERM', async () => {
    const child = spawnWithTestEnv('src/worker.ts');
    await child.waitForOutput(/worker started/);
    const line = child
      .stdout()
      .split('\n')
      .find((text) => text.includes('worker started'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ level: 30, context: 'Worker' });

    const signalledAt = Date.now();
    child.child.kill('SIGTERM');
    const exit = await child.waitForExit(GRACE_MS + 2_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(GRACE_MS);
    expect(child.stdout()).toMatch(/shutdown complete/);
  });
});
