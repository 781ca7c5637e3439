import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { expectErrorEnvelope } from '../support/envelope';
import { ProbeModule } from '../support/probe.module';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait';

/** Polls /health/ready until it answers `status`; ioredis and the pg pool reconnect on their own. */
async function readyBecomes(t: TestApp, status: number): Promise<request.Response> {
  return waitFor(
    `/health/ready to answer ${status}`,
    async () => {
      const res = await request(t.url).get('/health/ready');
      return res.status === status ? res : false;
    },
    { timeoutMs: 10_000, intervalMs: 100 },
  );
}

describe('Redis outage', () => {
  let redis: RedisServer;
  let t: TestApp;
  beforeAll(async () => {
    redis = await startRedisServer();
    t = await startTestApp({ imports: [ProbeModule], env: { REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    // Closing an app whose Redis is gone can hang (see process-lifecycle.int-spec.ts): bring it back.
    if (redis && !redis.running) await redis.start();
    await t?.close();
    await redis?.stop();
  });

  it('readiness goes 503 while Redis is down and back to 200 when it returns on the same port', async () => {
    await request(t.url).get('/health/ready').expect(200);
    await redis.stop();

    const down = await readyBecomes(t, 503);
    const error = expectErrorEnvelope(down, 503, 'DEPENDENCY_UNAVAILABLE');
    expect(error.details).toEqual([{ field: 'redis', message: 'unreachable' }]);
    await request(t.url).get('/health/live').expect(200);

    // Throttled routes need Redis too: they answer 503, not 500, and tell the client when to retry.
    const route = await request(t.url).get('/api/v1/probe/ok');
    expectErrorEnvelope(route, 503, 'DEPENDENCY_UNAVAILABLE');
    expect(route.headers['retry-after']).toMatch(/^\d+$/);

    await redis.start();
    const up = await readyBecomes(t, 200);
    expect(up.body.data.checks).toEqual({ database: { status: 'up' }, redis: { status: 'up' } });
    await waitFor('a throttled route to work again', async () => {
      return (await request(t.url).get('/api/v1/probe/ok')).status === 200;
    });
  });
});

describe('PostgreSQL outage', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let t: TestApp;
  beforeAll(async () => {
    database = await createTestDatabase();
    const direct = new URL(database.url);
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    direct.port = String(proxy.port);
    t = await startTestApp({
      imports: [ProbeModule],
      captureLogs: true,
      env: { DATABASE_URL: direct.toString(), DATABASE_MIGRATE_ON_START: 'false' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await database?.drop();
  });

  it('readiness and database routes answer 503 while PostgreSQL is unreachable, 200 once it is back', async () => {
    await request(t.url).get('/api/v1/probe/database').expect(200);
    await request(t.url).get('/health/ready').expect(200);
    await proxy.cut();

    const down = await readyBecomes(t, 503);
    const error = expectErrorEnvelope(down, 503, 'DEPENDENCY_UNAVAILABLE');
    // Generic in public; no host, port or query text.
    expect(error.details).toEqual([{ field: 'database', message: 'unreachable' }]);
    // ...while the log says why.
    expect(t.logs?.text()).toMatch(/"context":"Health".*database is not ready: .*ECONNREFUSED/);

    const route = await request(t.url).get('/api/v1/probe/database');
    expectErrorEnvelope(route, 503, 'DEPENDENCY_UNAVAILABLE');
    expect(route.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);

    await proxy.restore();
    await readyBecomes(t, 200);
    await request(t.url).get('/api/v1/probe/database').expect(200);
  });
});
