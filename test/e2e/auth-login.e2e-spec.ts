import { randomBytes } from 'node:crypto';
import request, { type Response } from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import {
  ALLOWED_ORIGIN,
  cookiesFrom,
  setCookieLines,
  signUpBearer,
  smtpOtpReader,
  type BearerSession,
  type OtpReader,
} from '../support/auth';
import { expectErrorEnvelope } from '../support/envelope';
import { uniqueRedisPrefix } from '../support/redis';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

let ipCounter = 0;
/** A client address nobody else in this run uses (sent as X-Forwarded-For to TRUST_PROXY=1 apps). */
function freshIp(): string {
  ipCounter += 1;
  return `10.${randomBytes(1)[0]}.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
}

interface LoginOptions {
  ip?: string;
  cookie?: boolean;
}

function login(
  url: string,
  email: unknown,
  password: unknown,
  { ip, cookie }: LoginOptions = {},
): Promise<Response> {
  let req = request(url).post('/api/v1/auth/login');
  req = cookie ? req.set('Origin', ALLOWED_ORIGIN) : req.set('X-Auth-Transport', 'bearer');
  if (ip) req = req.set('X-Forwarded-For', ip);
  return req.send({ email, password });
}

function expectSignedIn(res: Response, user: BearerSession, cookie = false): void {
  expect(res.status).toBe(200);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body.success).toBe(true);
  expect(res.body.data.user).toMatchObject({
    id: user.userId,
    username: user.credentials.username,
    email: user.credentials.email,
  });
  expect(JSON.stringify(res.body)).not.toMatch(/passwordHash|password_hash|\$2[aby]\$/);
  if (cookie) {
    expect(res.body.data.tokens).toBeUndefined();
    expect(Object.keys(cookiesFrom(res)).sort()).toEqual(['access_token', 'refresh_token']);
  } else {
    expect(setCookieLines(res)).toEqual([]);
    expect(Object.keys(res.body.data.tokens).sort()).toEqual([
      'accessToken',
      'accessTokenExpiresAt',
      'refreshToken',
      'refreshTokenExpiresAt',
    ]);
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

describe('auth: login', () => {
  let smtp: TestSmtpServer;
  let readOtp: OtpReader;
  /** Two replicas over one database and one Redis prefix, both behind one trusted proxy hop. */
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    readOtp = smtpOtpReader(smtp);
    const env = {
      SMTP_URL: smtp.url,
      MAIL_RETRY_BASE_MS: '50',
      TRUST_PROXY: '1',
      REDIS_KEY_PREFIX: uniqueRedisPrefix(),
    };
    a = await startTestApp({ env });
    b = await startTestApp({ env, database: a.database });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await smtp?.stop();
  });

  describe('credentials', () => {
    let user: BearerSession;
    beforeAll(async () => {
      user = await signUpBearer(a.url, readOtp, {
        username: `Mixed_${randomBytes(4).toString('hex')}`,
      });
    });

    it('signs in by email (any case) in both transports', async () => {
      const { email, password } = user.credentials;
      expectSignedIn(await login(a.url, email, password, { ip: freshIp() }), user);
      expectSignedIn(await login(a.url, email.toUpperCase(), password, { ip: freshIp() }), user);
      expectSignedIn(
        await login(a.url, email, password, { ip: freshIp(), cookie: true }),
        user,
        true,
      );
    });

    it('signs in by username in any letter case, in both transports', async () => {
      const { username, password } = user.credentials;
      for (const variant of [username, username.toLowerCase(), username.toUpperCase()]) {
        expectSignedIn(await login(a.url, variant, password, { ip: freshIp() }), user);
        expectSignedIn(
          await login(b.url, variant, password, { ip: freshIp(), cookie: true }),
          user,
          true,
        );
      }
    });

    it('answers an unknown user and a wrong password with the same 401 body', async () => {
      const ip = freshIp();
      const unknownEmail = await login(
        a.url,
        `nobody.${randomBytes(4).toString('hex')}@example.com`,
        'whatever password',
        { ip },
      );
      const unknownName = await login(
        a.url,
        `nobody_${randomBytes(4).toString('hex')}`,
        'whatever password',
        { ip },
      );
      const wrongPassword = await login(a.url, user.credentials.email, 'not the password', { ip });
      const wrongByName = await login(a.url, user.credentials.username, 'not the password', {
        ip,
        cookie: true,
      });
      const bodies = [unknownEmail, unknownName, wrongPassword, wrongByName].map((res) => {
        expectErrorEnvelope(res, 401, 'INVALID_CREDENTIALS');
        expect(res.headers['cache-control']).toBe('no-store');
        expect(setCookieLines(res)).toEqual([]);
        const { requestId: _ignored, ...rest } = res.body as Record<string, unknown>;
        return rest;
      });
      for (const body of bodies.slice(1)) expect(body).toEqual(bodies[0]);
    });

    it.each([
      ['an empty body', {}],
      ['a missing password', { email: 'someone@example.com' }],
      ['a missing email', { password: 'a password' }],
      ['a numeric email', { email: 12345, password: 'a password' }],
      ['an array password', { email: 'someone@example.com', password: ['a', 'b'] }],
      ['an object password', { email: 'someone@example.com', password: { $gt: '' } }],
      ['null fields', { email: null, password: null }],
      ['empty strings', { email: '', password: '' }],
      ['an over-long password', { email: 'someone@example.com', password: 'x'.repeat(1025) }],
      ['an unknown field', { email: 'someone@example.com', password: 'a password', admin: true }],
    ])('rejects %s with 422', async (_name, body) => {
      const res = await request(a.url)
        .post('/api/v1/auth/login')
        .set('X-Auth-Transport', 'bearer')
        .set('X-Forwarded-For', freshIp())
        .send(body);
      const error = expectErrorEnvelope(res, 422, 'VALIDATION_FAILED');
      expect(error.details?.length).toBeGreaterThan(0);
    });
  });

  describe('limits', () => {
    let user: BearerSession;
    beforeEach(async () => {
      user = await signUpBearer(a.url, readOtp);
    });

    it('locks an account for one IP after 5 failures, across two replicas, even for the right password', async () => {
      const ip = freshIp();
      const { email, password } = user.credentials;
      for (let i = 0; i < 5; i += 1) {
        const res = await login(i % 2 ? b.url : a.url, email, 'wrong password', { ip });
        expectErrorEnvelope(res, 401, 'INVALID_CREDENTIALS');
      }
      for (const app of [a, b]) {
        for (const cookie of [false, true]) {
          const res = await login(app.url, email, password, { ip, cookie });
          expectErrorEnvelope(res, 429, 'LOGIN_RATE_LIMITED');
          const retryAfter = Number(res.headers['retry-after']);
          expect(retryAfter).toBeGreaterThan(0);
          expect(retryAfter).toBeLessThanOrEqual(15 * 60);
        }
      }
      // Another letter case or padding of the same login is the same budget.
      expectErrorEnvelope(
        await login(b.url, ` ${email.toUpperCase()} `, password, { ip }),
        429,
        'LOGIN_RATE_LIMITED',
      );
      // The username has a budget of its own, by design: a shared one would answer 429 here and
      // so tell an attacker which username goes with the email.
      expectSignedIn(await login(b.url, user.credentials.username, password, { ip }), user);
    });

    it('counts concurrent attempts: a parallel burst gets no more than 5 guesses', async () => {
      const ip = freshIp();
      const burst = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          login(i % 2 ? b.url : a.url, user.credentials.email, `wrong ${i}`, { ip }),
        ),
      );
      const statuses = burst.map((res) => res.status);
      expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
      expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
      expectErrorEnvelope(
        await login(a.url, user.credentials.email, user.credentials.password, { ip }),
        429,
        'LOGIN_RATE_LIMITED',
      );
    });

    it('does not lock the account out for other clients (no global lockout), only slows them', async () => {
      const attacker = freshIp();
      for (let i = 0; i < 5; i += 1) {
        expectErrorEnvelope(
          await login(a.url, user.credentials.email, 'wrong password', { ip: attacker }),
          401,
          'INVALID_CREDENTIALS',
        );
      }
      expectErrorEnvelope(
        await login(a.url, user.credentials.email, 'wrong password', { ip: attacker }),
        429,
        'LOGIN_RATE_LIMITED',
      );
      const owner = await login(b.url, user.credentials.email, user.credentials.password, {
        ip: freshIp(),
      });
      expectSignedIn(owner, user);
    });

    it('locks an IP after 20 failures across different accounts', async () => {
      const ip = freshIp();
      for (let i = 0; i < 20; i += 1) {
        const res = await login(
          i % 2 ? b.url : a.url,
          `ghost_${i}_${randomBytes(3).toString('hex')}`,
          'wrong password',
          { ip },
        );
        expectErrorEnvelope(res, 401, 'INVALID_CREDENTIALS');
      }
      const blocked = await login(a.url, user.credentials.email, user.credentials.password, { ip });
      expectErrorEnvelope(blocked, 429, 'LOGIN_RATE_LIMITED');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);
      // Another address is not affected.
      expectSignedIn(
        await login(b.url, user.credentials.email, user.credentials.password, { ip: freshIp() }),
        user,
      );
    });
  });

  describe('without a trusted proxy (TRUST_PROXY=0)', () => {
    let direct: TestApp;
    let user: BearerSession;
    beforeAll(async () => {
      direct = await startTestApp({
        env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50', TRUST_PROXY: '0' },
      });
      user = await signUpBearer(direct.url, readOtp);
    });
    afterAll(async () => {
      await direct?.close();
    });

    it('a changing X-Forwarded-For does not reset the limit', async () => {
      for (let i = 0; i < 5; i += 1) {
        const res = await login(direct.url, user.credentials.email, 'wrong password', {
          ip: freshIp(),
        });
        expectErrorEnvelope(res, 401, 'INVALID_CREDENTIALS');
      }
      for (let i = 0; i < 3; i += 1) {
        const res = await login(direct.url, user.credentials.email, user.credentials.password, {
          ip: freshIp(),
        });
        expectErrorEnvelope(res, 429, 'LOGIN_RATE_LIMITED');
      }
    });
  });

  describe('timing (BCRYPT_COST 10)', () => {
    let slow: TestApp;
    let user: BearerSession;
    beforeAll(async () => {
      slow = await startTestApp({
        env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50', TRUST_PROXY: '1', BCRYPT_COST: '10' },
      });
      user = await signUpBearer(slow.url, readOtp);
    });
    afterAll(async () => {
      await slow?.close();
    });

    it('an unknown user takes about as long as a wrong password', async () => {
      const timed = async (loginName: string, password: string): Promise<number> => {
        const started = process.hrtime.bigint();
        const res = await login(slow.url, loginName, password, { ip: freshIp() });
        const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
        expectErrorEnvelope(res, 401, 'INVALID_CREDENTIALS');
        return elapsed;
      };
      const unknown: number[] = [];
      const wrong: number[] = [];
      for (let round = 0; round < 8; round += 1) {
        const u = await timed(
          `nobody.${randomBytes(4).toString('hex')}@example.com`,
          'some password',
        );
        const w = await timed(user.credentials.email, `wrong password ${round}`);
        // A success clears the account's failure count, so the growing delay never kicks in here.
        expect(
          (
            await login(slow.url, user.credentials.email, user.credentials.password, {
              ip: freshIp(),
            })
          ).status,
        ).toBe(200);
        if (round > 0) {
          unknown.push(u);
          wrong.push(w);
        }
      }
      const [mu, mw] = [median(unknown), median(wrong)];
      expect(Math.max(mu, mw) / Math.min(mu, mw)).toBeLessThan(3);
      // Both really ran bcrypt at cost 10 (a few ms would mean the unknown path skipped it).
      expect(Math.min(mu, mw)).toBeGreaterThan(10);
    });
  });
});
