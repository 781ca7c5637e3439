import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type Redis from 'ioredis';
import request, { type Response } from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import {
  ALLOWED_ORIGIN,
  cookieHeader,
  cookiesFrom,
  smtpOtpReader,
  loginBearer,
  loginCookie,
  meBearer,
  refreshBearer,
  setCookieLines,
  signUpBearer,
  type BearerSession,
  type OtpReader,
} from '../support/auth';
import { expectErrorEnvelope } from '../support/envelope';
import { base64url, decodeJwt } from '../support/jwt';
import { rawRedis } from '../support/redis';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { waitFor } from '../support/wait';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function expectPair(res: Response): { accessToken: string; refreshToken: string } {
  expect(res.status).toBe(200);
  expect(res.headers['cache-control']).toBe('no-store');
  const tokens = res.body.data.tokens as Record<string, string>;
  expect(Object.keys(tokens).sort()).toEqual([
    'accessToken',
    'accessTokenExpiresAt',
    'refreshToken',
    'refreshTokenExpiresAt',
  ]);
  return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
}

describe('auth: refresh rotation', () => {
  let smtp: TestSmtpServer;
  let readOtp: OtpReader;
  let t: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    readOtp = smtpOtpReader(smtp);
    redis = rawRedis();
    t = await startTestApp({
      env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' },
      captureLogs: true,
    });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
    redis?.disconnect();
  });

  it('rotates: a new pair; the previous token, again within the grace window, gets a fresh pair', async () => {
    const s = await signUpBearer(t.url, readOtp);
    const first = expectPair(await refreshBearer(t.url, s.refreshToken));
    expect(first.refreshToken).not.toBe(s.refreshToken);
    expect(first.accessToken).not.toBe(s.accessToken);
    expect(decodeJwt(first.accessToken).payload.sid).toBe(decodeJwt(s.accessToken).payload.sid);
    expect((await meBearer(t.url, first.accessToken)).status).toBe(200);

    // Two tabs refreshing at once: the slower one presents the token just rotated out.
    const again = expectPair(await refreshBearer(t.url, s.refreshToken));
    expect(again.refreshToken).not.toBe(first.refreshToken);
    // `first` was displaced inside the window: refused, but nothing is revoked.
    expectErrorEnvelope(
      await refreshBearer(t.url, first.refreshToken),
      401,
      'REFRESH_TOKEN_INVALID',
    );
    expect((await meBearer(t.url, first.accessToken)).status).toBe(200);
    expect((await meBearer(t.url, s.accessToken)).status).toBe(200);
    const next = expectPair(await refreshBearer(t.url, again.refreshToken));
    expect((await meBearer(t.url, next.accessToken)).status).toBe(200);
  });

  it('10 parallel refreshes of one token leave exactly one usable refresh token, without revoking', async () => {
    const s = await signUpBearer(t.url, readOtp);
    const sid = decodeJwt(s.accessToken).payload.sid as string;
    const burst = await Promise.all(
      Array.from({ length: 10 }, () => refreshBearer(t.url, s.refreshToken)),
    );
    // The first rotates, the other nine arrive within the grace window and each get a pair too.
    const pairs = burst.map(expectPair);
    const current = await redis.hget(
      `${t.config.redis.keyPrefix}refresh:${s.userId}:${sid}`,
      'cur',
    );
    const live = pairs.filter((p) => sha256(p.refreshToken) === current);
    const stale = pairs.filter((p) => sha256(p.refreshToken) !== current);
    expect(live).toHaveLength(1);
    expect(stale).toHaveLength(9);
    // Every stale one is refused without revoking anything (tried first: a real rotation ends the window).
    for (const p of stale) {
      expectErrorEnvelope(await refreshBearer(t.url, p.refreshToken), 401, 'REFRESH_TOKEN_INVALID');
    }
    for (const p of pairs) expect((await meBearer(t.url, p.accessToken)).status).toBe(200);
    expectPair(await refreshBearer(t.url, live[0].refreshToken));
  });

  it('keeps the absolute expiry across rotations', async () => {
    const s = await loginAgain(await signUpBearer(t.url, readOtp));
    const first = await refreshBearer(t.url, s.refreshToken);
    const second = await refreshBearer(t.url, first.body.data.tokens.refreshToken);
    expect(first.body.data.tokens.refreshTokenExpiresAt).toBe(s.refreshTokenExpiresAt);
    expect(second.body.data.tokens.refreshTokenExpiresAt).toBe(s.refreshTokenExpiresAt);
    expect(first.body.data.refreshTokenExpiresAt).toBe(s.refreshTokenExpiresAt);
  });

  async function loginAgain(
    s: BearerSession,
  ): Promise<{ refreshToken: string; refreshTokenExpiresAt: string }> {
    const res = await loginBearer(t.url, s.credentials.email, s.credentials.password);
    return res.body.data.tokens;
  }

  it.each([
    ['an empty bearer body', {}, 401, 'REFRESH_TOKEN_INVALID'],
    ['a JWT-shaped garbage token', { refreshToken: 'a.b.c' }, 401, 'REFRESH_TOKEN_INVALID'],
    ['a non-JWT string', { refreshToken: 'garbage' }, 422, 'VALIDATION_FAILED'],
    ['a number', { refreshToken: 12345 }, 422, 'VALIDATION_FAILED'],
    ['an object', { refreshToken: { $ne: null } }, 422, 'VALIDATION_FAILED'],
    [
      'a 5 kB token',
      { refreshToken: `${'a'.repeat(2500)}.${'b'.repeat(2500)}.c` },
      422,
      'VALIDATION_FAILED',
    ],
    ['an unknown field', { refreshToken: 'a.b.c', extra: 1 }, 422, 'VALIDATION_FAILED'],
  ])('refuses %s cleanly', async (_name, body, status, code) => {
    const res = await request(t.url)
      .post('/api/v1/auth/refresh')
      .set('X-Auth-Transport', 'bearer')
      .send(body);
    expectErrorEnvelope(res, status, code);
  });

  it('refuses a refresh token with a tampered payload, and one of a signed-out session', async () => {
    const s = await signUpBearer(t.url, readOtp);
    const [h, p, sig] = s.refreshToken.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    const tampered = `${h}.${base64url(JSON.stringify({ ...payload, exp: payload.exp + 86_400 }))}.${sig}`;
    expectErrorEnvelope(await refreshBearer(t.url, tampered), 401, 'REFRESH_TOKEN_INVALID');
    await request(t.url)
      .post('/api/v1/auth/logout')
      .set('Authorization', `Bearer ${s.accessToken}`)
      .send({})
      .expect(200);
    expectErrorEnvelope(await refreshBearer(t.url, s.refreshToken), 401, 'REFRESH_TOKEN_INVALID');
  });

  describe('cookie transport', () => {
    it('refreshes with only the refresh_token cookie and an allowed Origin; Set-Cookie carries the new pair', async () => {
      const s = await signUpBearer(t.url, readOtp);
      const login = await loginCookie(t.url, s.credentials.email, s.credentials.password);
      const cookies = cookiesFrom(login);
      const res = await request(t.url)
        .post('/api/v1/auth/refresh')
        .set('Origin', ALLOWED_ORIGIN)
        .set('Cookie', `refresh_token=${cookies.refresh_token}`)
        .send({});
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.data.tokens).toBeUndefined();
      expect(JSON.stringify(res.body)).not.toContain(cookies.refresh_token);
      const fresh = cookiesFrom(res);
      expect(fresh.access_token).toBeTruthy();
      expect(fresh.refresh_token).toBeTruthy();
      expect(fresh.access_token).not.toBe(cookies.access_token);
      expect(fresh.refresh_token).not.toBe(cookies.refresh_token);
      const lines = setCookieLines(res);
      expect(lines.find((l) => l.startsWith('refresh_token='))).toMatch(
        /Path=\/api\/v1\/auth;.*HttpOnly/,
      );
      expect(lines.find((l) => l.startsWith('access_token='))).toMatch(/Path=\/;.*HttpOnly/);
      const me = await request(t.url)
        .get('/api/v1/users/me')
        .set('Cookie', cookieHeader({ access_token: fresh.access_token }));
      expect(me.status).toBe(200);
    });

    it.each([
      ['no Origin', undefined],
      ['a foreign Origin', 'https://evil.example'],
      ['Origin null', 'null'],
    ])(
      'refuses a cookie refresh with %s (403) without consuming the token',
      async (_name, origin) => {
        const s = await signUpBearer(t.url, readOtp);
        const cookies = cookiesFrom(
          await loginCookie(t.url, s.credentials.email, s.credentials.password),
        );
        let req = request(t.url)
          .post('/api/v1/auth/refresh')
          .set('Cookie', `refresh_token=${cookies.refresh_token}`);
        if (origin) req = req.set('Origin', origin);
        expectErrorEnvelope(await req.send({}), 403, 'CSRF_ORIGIN_REJECTED');
        const ok = await request(t.url)
          .post('/api/v1/auth/refresh')
          .set('Origin', ALLOWED_ORIGIN)
          .set('Cookie', `refresh_token=${cookies.refresh_token}`)
          .send({});
        expect(ok.status).toBe(200);
      },
    );

    it('a garbage refresh_token cookie is 401 REFRESH_TOKEN_INVALID', async () => {
      for (const value of ['garbage', 'a.b.c', 'x'.repeat(5000)]) {
        const res = await request(t.url)
          .post('/api/v1/auth/refresh')
          .set('Origin', ALLOWED_ORIGIN)
          .set('Cookie', `refresh_token=${value}`)
          .send({});
        expectErrorEnvelope(res, 401, 'REFRESH_TOKEN_INVALID');
      }
    });
  });

  describe('reuse after the grace window (REFRESH_GRACE_SECONDS=1)', () => {
    let short: TestApp;
    beforeAll(async () => {
      short = await startTestApp({
        env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50', REFRESH_GRACE_SECONDS: '1' },
        captureLogs: true,
      });
    });
    afterAll(async () => {
      await short?.close();
    });

    it('revokes every session of the user, answers REFRESH_TOKEN_REUSED and logs a security event', async () => {
      const s = await signUpBearer(short.url, readOtp);
      const phone = expectPair(
        await loginBearer(short.url, s.credentials.email, s.credentials.password),
      );
      const web = cookiesFrom(
        await loginCookie(short.url, s.credentials.email, s.credentials.password),
      );
      const rotated = expectPair(await refreshBearer(short.url, s.refreshToken));
      await delay(1_200); // waiting for time itself: the grace window has to pass

      expectErrorEnvelope(
        await refreshBearer(short.url, s.refreshToken),
        401,
        'REFRESH_TOKEN_REUSED',
      );
      for (const token of [s.accessToken, rotated.accessToken, phone.accessToken]) {
        expectErrorEnvelope(await meBearer(short.url, token), 401, 'UNAUTHORIZED');
      }
      const webMe = await request(short.url)
        .get('/api/v1/users/me')
        .set('Cookie', `access_token=${web.access_token}`);
      expectErrorEnvelope(webMe, 401, 'UNAUTHORIZED');
      for (const token of [rotated.refreshToken, phone.refreshToken]) {
        expectErrorEnvelope(await refreshBearer(short.url, token), 401, 'REFRESH_TOKEN_INVALID');
      }
      const line = await waitFor('the refresh_token_reuse security log line', () =>
        short.logs?.lines.find((l) => l.includes('"securityEvent":"refresh_token_reuse"')),
      );
      expect(JSON.parse(line)).toMatchObject({
        securityEvent: 'refresh_token_reuse',
        userId: s.userId,
      });
      expect(short.logs?.text()).not.toContain(s.refreshToken);
      // The user can sign in again afterwards, with one fresh session.
      const again = expectPair(
        await loginBearer(short.url, s.credentials.email, s.credentials.password),
      );
      const sessions = await request(short.url)
        .get('/api/v1/auth/sessions')
        .set('Authorization', `Bearer ${again.accessToken}`);
      expect(sessions.body.data).toHaveLength(1);
    });
  });

  describe('absolute expiry (REFRESH_TOKEN_TTL=5)', () => {
    let brief: TestApp;
    beforeAll(async () => {
      brief = await startTestApp({
        env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50', REFRESH_TOKEN_TTL: '5' },
      });
    });
    afterAll(async () => {
      await brief?.close();
    });

    it('rotation never extends the session; once its expiry passes the refresh token is 401 and the access token dies', async () => {
      const s = await signUpBearer(brief.url, readOtp);
      const login = await loginBearer(brief.url, s.credentials.email, s.credentials.password);
      const expiresAt = login.body.data.tokens.refreshTokenExpiresAt as string;
      const rotated = await refreshBearer(brief.url, login.body.data.tokens.refreshToken);
      expect(rotated.body.data.tokens.refreshTokenExpiresAt).toBe(expiresAt);
      const rotatedAgain = await refreshBearer(brief.url, rotated.body.data.tokens.refreshToken);
      expect(rotatedAgain.body.data.tokens.refreshTokenExpiresAt).toBe(expiresAt);
      // Waiting for the clock itself, not for async work.
      await delay(Math.max(0, Date.parse(expiresAt) - Date.now()) + 300);
      expectErrorEnvelope(
        await refreshBearer(brief.url, rotatedAgain.body.data.tokens.refreshToken),
        401,
        'REFRESH_TOKEN_INVALID',
      );
      expectErrorEnvelope(
        await meBearer(brief.url, rotatedAgain.body.data.tokens.accessToken),
        401,
        'UNAUTHORIZED',
      );
    }, 20_000);
  });
});
