import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { signUpBearer, smtpOtpReader, type BearerSession } from '../support/auth';
import { expectErrorEnvelope } from '../support/envelope';
import { uniqueRedisPrefix } from '../support/redis';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

/**
 * Authenticated routes: the global throttler counts every request (bad tokens too), sets its
 * headers, and answers 429 before authentication answers 401.
 */
describe('rate limiting of authenticated routes', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let user: BearerSession;
  const LIMIT = 3;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({
      env: {
        THROTTLE_LIMIT: String(LIMIT),
        REDIS_KEY_PREFIX: uniqueRedisPrefix(),
        SMTP_URL: smtp.url,
      },
    });
    user = await signUpBearer(t.url, smtpOtpReader(smtp));
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  const me = (token: string) =>
    request(t.url).get('/api/v1/users/me').set('Authorization', `Bearer ${token}`);

  it('counts live-token requests, sets the X-RateLimit headers and answers 429 past the limit', async () => {
    for (let i = 1; i <= LIMIT; i += 1) {
      const res = await me(user.accessToken).expect(200);
      expect(res.headers['x-ratelimit-limit']).toBe(String(LIMIT));
      expect(res.headers['x-ratelimit-remaining']).toBe(String(LIMIT - i));
      expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThanOrEqual(1);
    }
    const limited = await me(user.accessToken);
    expectErrorEnvelope(limited, 429, 'RATE_LIMITED');
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('counts requests with a bad token too, and answers 429 before 401 once over', async () => {
    const list = () =>
      request(t.url).get('/api/v1/conversations').set('Authorization', 'Bearer not.a.token');
    for (let i = 0; i < LIMIT; i += 1) expectErrorEnvelope(await list(), 401, 'UNAUTHORIZED');
    expectErrorEnvelope(await list(), 429, 'RATE_LIMITED');
  });
});
