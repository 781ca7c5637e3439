import { EventEmitter2 } from '@nestjs/event-emitter';
import request, { type Response } from 'supertest';
import { SESSION_REVOKED, type SessionRevokedEvent } from '../../src/common/events/session-events';
import { startTestApp, type TestApp } from '../support/app';
import {
  ALLOWED_ORIGIN,
  cookiesFrom,
  smtpOtpReader,
  loginCookie,
  meBearer,
  refreshBearer,
  setCookieLines,
  signUpBearer,
  type BearerSession,
  type OtpReader,
} from '../support/auth';
import { expectErrorEnvelope } from '../support/envelope';
import { decodeJwt } from '../support/jwt';
import { uniqueRedisPrefix } from '../support/redis';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { waitFor } from '../support/wait';

interface Signed {
  accessToken: string;
  refreshToken: string;
  sid: string;
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const sidOf = (accessToken: string): string => decodeJwt(accessToken).payload.sid as string;

/** Attributes of a Set-Cookie line other than its value and lifetime, lower-cased and sorted. */
function attributesOf(line: string | undefined): string[] {
  expect(line).toBeDefined();
  return (line ?? '')
    .split(';')
    .slice(1)
    .map((part) => part.trim().toLowerCase())
    .filter((part) => !part.startsWith('expires=') && !part.startsWith('max-age='))
    .sort();
}

function expectCleared(res: Response, setLines: string[]): void {
  for (const name of ['access_token', 'refresh_token']) {
    const cleared = setCookieLines(res).find((l) => l.startsWith(`${name}=`));
    expect(cleared).toMatch(new RegExp(`^${name}=;`));
    const expires = /expires=([^;]+)/i.exec(cleared ?? '')?.[1];
    const maxAge = /max-age=(-?\d+)/i.exec(cleared ?? '')?.[1];
    expect(maxAge === '0' || (expires !== undefined && Date.parse(expires) < Date.now())).toBe(
      true,
    );
    expect(attributesOf(cleared)).toEqual(
      attributesOf(setLines.find((l) => l.startsWith(`${name}=`))),
    );
  }
}

describe('auth: logout and sessions', () => {
  let smtp: TestSmtpServer;
  let readOtp: OtpReader;
  let t: TestApp;
  let replica: TestApp;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    readOtp = smtpOtpReader(smtp);
    const env = {
      SMTP_URL: smtp.url,
      MAIL_RETRY_BASE_MS: '50',
      REDIS_KEY_PREFIX: uniqueRedisPrefix(),
    };
    t = await startTestApp({ env });
    replica = await startTestApp({ env, database: t.database });
  });
  afterAll(async () => {
    await replica?.close();
    await t?.close();
    await smtp?.stop();
  });

  async function signIn(user: BearerSession, userAgent = 'jest-phone/1.0'): Promise<Signed> {
    const res = await request(t.url)
      .post('/api/v1/auth/login')
      .set('X-Auth-Transport', 'bearer')
      .set('User-Agent', userAgent)
      .send({ email: user.credentials.email, password: user.credentials.password });
    expect(res.status).toBe(200);
    const { accessToken, refreshToken } = res.body.data.tokens;
    return { accessToken, refreshToken, sid: sidOf(accessToken) };
  }

  describe('logout', () => {
    it('bearer: revokes the session and denylists the access token at once; its refresh token is dead', async () => {
      const user = await signUpBearer(t.url, readOtp);
      const res = await request(t.url)
        .post('/api/v1/auth/logout')
        .set(bearer(user.accessToken))
        .send({});
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toMatchObject({ success: true, data: null });
      expectErrorEnvelope(await meBearer(t.url, user.accessToken), 401, 'UNAUTHORIZED');
      expectErrorEnvelope(await meBearer(replica.url, user.accessToken), 401, 'UNAUTHORIZED');
      expectErrorEnvelope(
        await refreshBearer(t.url, user.refreshToken),
        401,
        'REFRESH_TOKEN_INVALID',
      );
    });

    it('cookie: clears both cookies with the attributes they were set with', async () => {
      const user = await signUpBearer(t.url, readOtp);
      const login = await loginCookie(t.url, user.credentials.email, user.credentials.password);
      const cookies = cookiesFrom(login);
      const res = await request(t.url)
        .post('/api/v1/auth/logout')
        .set('Origin', ALLOWED_ORIGIN)
        .set(
          'Cookie',
          `access_token=${cookies.access_token}; refresh_token=${cookies.refresh_token}`,
        )
        .send({});
      expect(res.status).toBe(200);
      expectCleared(res, setCookieLines(login));
      const me = await request(t.url)
        .get('/api/v1/users/me')
        .set('Cookie', `access_token=${cookies.access_token}`);
      expectErrorEnvelope(me, 401, 'UNAUTHORIZED');
      const refresh = await request(t.url)
        .post('/api/v1/auth/refresh')
        .set('Origin', ALLOWED_ORIGIN)
        .set('Cookie', `refresh_token=${cookies.refresh_token}`)
        .send({});
      expectErrorEnvelope(refresh, 401, 'REFRESH_TOKEN_INVALID');
    });

    it("bearer: a body refreshToken of another session of the user revokes it too; another user's does nothing", async () => {
      const user = await signUpBearer(t.url, readOtp);
      const tablet = await signIn(user, 'jest-tablet/1.0');
      const stranger = await signUpBearer(t.url, readOtp);
      const laptop = await signIn(user, 'jest-laptop/1.0');
      const res = await request(t.url)
        .post('/api/v1/auth/logout')
        .set(bearer(user.accessToken))
        .send({ refreshToken: tablet.refreshToken });
      expect(res.status).toBe(200);
      expectErrorEnvelope(await meBearer(t.url, tablet.accessToken), 401, 'UNAUTHORIZED');
      expectErrorEnvelope(
        await refreshBearer(t.url, tablet.refreshToken),
        401,
        'REFRESH_TOKEN_INVALID',
      );
      // A third session of the user, not named, lives on.
      expect((await meBearer(t.url, laptop.accessToken)).status).toBe(200);

      const other = await request(t.url)
        .post('/api/v1/auth/logout')
        .set(bearer(laptop.accessToken))
        .send({ refreshToken: stranger.refreshToken });
      expect(other.status).toBe(200);
      expect((await meBearer(t.url, stranger.accessToken)).status).toBe(200);
      expect((await refreshBearer(t.url, stranger.refreshToken)).status).toBe(200);
    });

    it('logout-all revokes every session, bearer and cookie, on every replica', async () => {
      const user = await signUpBearer(t.url, readOtp);
      const phone = await signIn(user);
      const web = cookiesFrom(
        await loginCookie(t.url, user.credentials.email, user.credentials.password),
      );
      const res = await request(replica.url)
        .post('/api/v1/auth/logout-all')
        .set(bearer(phone.accessToken))
        .send({});
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ revoked: 3 });
      for (const app of [t, replica]) {
        expectErrorEnvelope(await meBearer(app.url, user.accessToken), 401, 'UNAUTHORIZED');
        expectErrorEnvelope(await meBearer(app.url, phone.accessToken), 401, 'UNAUTHORIZED');
        const webMe = await request(app.url)
          .get('/api/v1/users/me')
          .set('Cookie', `access_token=${web.access_token}`);
        expectErrorEnvelope(webMe, 401, 'UNAUTHORIZED');
      }
      expectErrorEnvelope(
        await refreshBearer(t.url, user.refreshToken),
        401,
        'REFRESH_TOKEN_INVALID',
      );
    });

    it.each(['/api/v1/auth/logout', '/api/v1/auth/logout-all'])(
      '%s without a token is 401',
      async (path) => {
        expectErrorEnvelope(await request(t.url).post(path).send({}), 401, 'UNAUTHORIZED');
        const withOrigin = await request(t.url).post(path).set('Origin', ALLOWED_ORIGIN).send({});
        expectErrorEnvelope(withOrigin, 401, 'UNAUTHORIZED');
      },
    );
  });

  describe('sessions', () => {
    it('lists every session with its details and exactly one current', async () => {
      const user = await signUpBearer(t.url, readOtp);
      const phone = await signIn(user, 'jest-phone/2.0');
      const web = cookiesFrom(
        await request(t.url)
          .post('/api/v1/auth/login')
          .set('Origin', ALLOWED_ORIGIN)
          .set('User-Agent', 'jest-browser/3.0')
          .send({ email: user.credentials.email, password: user.credentials.password }),
      );
      const res = await request(t.url).get('/api/v1/auth/sessions').set(bearer(phone.accessToken));
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const list = res.body.data as Record<string, unknown>[];
      expect(list).toHaveLength(3);
      for (const s of list) {
        expect(Object.keys(s).sort()).toEqual([
          'createdAt',
          'current',
          'id',
          'ip',
          'lastUsedAt',
          'userAgent',
        ]);
        expect(new Date(s.createdAt as string).toISOString()).toBe(s.createdAt);
        expect(Date.parse(s.lastUsedAt as string)).toBeGreaterThanOrEqual(
          Date.parse(s.createdAt as string),
        );
        expect(s.ip).toMatch(/127\.0\.0\.1$/);
      }
      expect(list.filter((s) => s.current)).toEqual([
        expect.objectContaining({ id: phone.sid, userAgent: 'jest-phone/2.0' }),
      ]);
      expect(list.map((s) => s.id).sort()).toEqual(
        [sidOf(user.accessToken), phone.sid, expect.any(String)].sort(),
      );
      expect(list.map((s) => s.userAgent)).toEqual(expect.arrayContaining(['jest-browser/3.0']));
      // Seen from the web session, the web session is the current one.
      const fromWeb = await request(t.url)
        .get('/api/v1/auth/sessions')
        .set('Cookie', `access_token=${web.access_token}`);
      const current = (fromWeb.body.data as Record<string, unknown>[]).filter((s) => s.current);
      expect(current).toEqual([expect.objectContaining({ userAgent: 'jest-browser/3.0' })]);
      // A refresh moves lastUsedAt.
      const before = list.find((s) => s.id === phone.sid)?.lastUsedAt as string;
      await waitFor('the clock to move on', () => Date.now() > Date.parse(before) + 5, {
        intervalMs: 5,
      });
      expect((await refreshBearer(t.url, phone.refreshToken)).status).toBe(200);
      const after = await request(t.url)
        .get('/api/v1/auth/sessions')
        .set(bearer(phone.accessToken));
      const moved = (after.body.data as Record<string, unknown>[]).find((s) => s.id === phone.sid);
      expect(Date.parse(moved?.lastUsedAt as string)).toBeGreaterThan(Date.parse(before));
    });

    it('DELETE revokes a session: its token dies at once on another replica, and session.revoked is emitted', async () => {
      const user = await signUpBearer(t.url, readOtp);
      const phone = await signIn(user);
      const events: SessionRevokedEvent[] = [];
      const emitter = t.app.get(EventEmitter2);
      const listener = (event: SessionRevokedEvent): void => {
        events.push(event);
      };
      emitter.on(SESSION_REVOKED, listener);
      try {
        expect((await meBearer(replica.url, phone.accessToken)).status).toBe(200);
        const res = await request(t.url)
          .delete(`/api/v1/auth/sessions/${phone.sid}`)
          .set(bearer(user.accessToken));
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ success: true, data: null });
        expectErrorEnvelope(await meBearer(replica.url, phone.accessToken), 401, 'UNAUTHORIZED');
        expectErrorEnvelope(
          await refreshBearer(replica.url, phone.refreshToken),
          401,
          'REFRESH_TOKEN_INVALID',
        );
        expect((await meBearer(replica.url, user.accessToken)).status).toBe(200);
        await waitFor('the session.revoked event', () =>
          events.find((e) => e.sessionId === phone.sid),
        );
        expect(events).toEqual([{ userId: user.userId, sessionId: phone.sid, reason: 'revoked' }]);
        // Deleting it again: it is gone.
        const again = await request(t.url)
          .delete(`/api/v1/auth/sessions/${phone.sid}`)
          .set(bearer(user.accessToken));
        expectErrorEnvelope(again, 404, 'SESSION_NOT_FOUND');
      } finally {
        emitter.off(SESSION_REVOKED, listener);
      }
    });

    it("404 for an unknown id and for another user's session (which keeps working); 422 for a non-uuid", async () => {
      const user = await signUpBearer(t.url, readOtp);
      const stranger = await signUpBearer(t.url, readOtp);
      const unknown = await request(t.url)
        .delete('/api/v1/auth/sessions/01900000-0000-7000-8000-00000000abcd')
        .set(bearer(user.accessToken));
      expectErrorEnvelope(unknown, 404, 'SESSION_NOT_FOUND');
      const foreign = await request(t.url)
        .delete(`/api/v1/auth/sessions/${sidOf(stranger.accessToken)}`)
        .set(bearer(user.accessToken));
      expectErrorEnvelope(foreign, 404, 'SESSION_NOT_FOUND');
      expect(foreign.body.error).toEqual(unknown.body.error);
      expect((await meBearer(t.url, stranger.accessToken)).status).toBe(200);
      expect((await refreshBearer(t.url, stranger.refreshToken)).status).toBe(200);
      for (const bad of ['not-a-uuid', '123', "1'%20OR%20'1'='1"]) {
        const res = await request(t.url)
          .delete(`/api/v1/auth/sessions/${bad}`)
          .set(bearer(user.accessToken));
        expectErrorEnvelope(res, 422, 'VALIDATION_FAILED');
      }
    });

    it('deleting the current session signs the caller out', async () => {
      const user = await signUpBearer(t.url, readOtp);
      const res = await request(t.url)
        .delete(`/api/v1/auth/sessions/${sidOf(user.accessToken)}`)
        .set(bearer(user.accessToken));
      expect(res.status).toBe(200);
      expectErrorEnvelope(await meBearer(t.url, user.accessToken), 401, 'UNAUTHORIZED');
    });

    it('GET and DELETE /sessions without a token are 401', async () => {
      expectErrorEnvelope(await request(t.url).get('/api/v1/auth/sessions'), 401, 'UNAUTHORIZED');
      const del = await request(t.url).delete(
        '/api/v1/auth/sessions/01900000-0000-7000-8000-00000000abcd',
      );
      expectErrorEnvelope(del, 401, 'UNAUTHORIZED');
    });
  });
});
