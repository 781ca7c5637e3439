import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { expectErrorEnvelope } from '../support/envelope';
import { ProbeModule } from '../support/probe.module';
import { uniqueRedisPrefix } from '../support/redis';

const OK = '/api/v1/probe/ok';

describe('rate limiting backed by Redis', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    // Two replicas: same Redis key prefix (and database), so they share one count per client.
    const env = { THROTTLE_LIMIT: '3', REDIS_KEY_PREFIX: uniqueRedisPrefix() };
    a = await startTestApp({ imports: [ProbeModule], env });
    b = await startTestApp({ imports: [ProbeModule], env, database: a.database });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('counts across replicas and answers 429 RATE_LIMITED with a numeric Retry-After', async () => {
    await request(a.url).get(OK).expect(200);
    await request(b.url).get(OK).expect(200);
    await request(a.url).get(OK).expect(200);

    const limited = await request(b.url).get(OK);
    expectErrorEnvelope(limited, 429, 'RATE_LIMITED');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expectErrorEnvelope(await request(a.url).get(OK), 429, 'RATE_LIMITED');
  });

  it('never limits the health and metrics endpoints', async () => {
    for (let i = 0; i < 5; i += 1) {
      await request(a.url).get('/health/live').expect(200);
      await request(a.url).get('/metrics').expect(200);
    }
  });
});

describe('client IP behind proxies', () => {
  const forwarded = (app: TestApp, xff: string) =>
    request(app.url).get(OK).set('X-Forwarded-For', xff);

  describe('TRUST_PROXY=0', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ imports: [ProbeModule], env: { THROTTLE_LIMIT: '2' } });
    });
    afterAll(async () => {
      await t?.close();
    });

    it('ignores X-Forwarded-For: spoofed addresses still share the one limit of the socket peer', async () => {
      await forwarded(t, '203.0.113.1').expect(200);
      await forwarded(t, '203.0.113.2').expect(200);
      expectErrorEnvelope(await forwarded(t, '203.0.113.3'), 429, 'RATE_LIMITED');
      expectErrorEnvelope(await request(t.url).get(OK), 429, 'RATE_LIMITED');
    });
  });

  describe('TRUST_PROXY=1', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({
        imports: [ProbeModule],
        env: { THROTTLE_LIMIT: '2', TRUST_PROXY: '1' },
      });
    });
    afterAll(async () => {
      await t?.close();
    });

    it('takes the client address the one trusted proxy appended, not what the client wrote before it', async () => {
      await forwarded(t, '198.51.100.7').expect(200);
      // A client-written first entry does not change who the proxy says is calling.
      await forwarded(t, '10.9.9.9, 198.51.100.7').expect(200);
      expectErrorEnvelope(await forwarded(t, '10.1.1.1, 198.51.100.7'), 429, 'RATE_LIMITED');
      // Another client behind the same proxy has its own limit.
      await forwarded(t, '198.51.100.8').expect(200);
    });
  });
});
