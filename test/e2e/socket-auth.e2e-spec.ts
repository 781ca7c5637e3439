import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import {
  ALLOWED_ORIGIN,
  cookieHeader,
  loginBearer,
  loginCookie,
  cookiesFrom,
  type BearerSession,
} from '../support/auth';
import { decodeJwt, forgeAccessToken, refreshKeyOf, signJwt } from '../support/jwt';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import {
  closeAllSockets,
  connectRefused,
  connectSocket,
  disconnected,
  emitArgsWithAck,
  emitNoAck,
  emitWithAck,
  nextEvent,
  recordEvents,
} from '../support/socket';
import { signUpClient, type Client } from '../support/users';

const FOREIGN_ORIGIN = 'https://evil.example';

function sessionIdOf(accessToken: string): string {
  return decodeJwt(accessToken).payload.sid as string;
}

describe('socket: handshake, sessions, token expiry', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let alice: Client;
  let bob: Client;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    [alice, bob] = await Promise.all([signUpClient(t.url, smtp), signUpClient(t.url, smtp)]);
  });
  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
    await smtp?.stop();
  });

  /** A second bearer session (another device) of the same user. */
  async function anotherSession(
    session: BearerSession,
  ): Promise<{ accessToken: string; sessionId: string }> {
    const res = await loginBearer(t.url, session.credentials.email, session.credentials.password);
    expect(res.status).toBe(200);
    const accessToken = res.body.data.tokens.accessToken as string;
    return { accessToken, sessionId: sessionIdOf(accessToken) };
  }

  describe('handshake', () => {
    it('accepts a bearer access token in auth.token (no Origin: a Node or mobile client)', async () => {
      const socket = await connectSocket(t.url, { token: alice.session.accessToken });
      expect(socket.connected).toBe(true);
    });

    it('accepts a bearer token from an allowed browser Origin, over polling too', async () => {
      const socket = await connectSocket(t.url, {
        token: alice.session.accessToken,
        headers: { Origin: ALLOWED_ORIGIN },
        transports: ['polling'],
      });
      expect(socket.connected).toBe(true);
    });

    it('accepts the access_token cookie with an allowed Origin', async () => {
      const login = await loginCookie(
        t.url,
        alice.session.credentials.email,
        alice.session.credentials.password,
      );
      expect(login.status).toBe(200);
      const socket = await connectSocket(t.url, {
        headers: { Origin: ALLOWED_ORIGIN, Cookie: cookieHeader(cookiesFrom(login)) },
      });
      expect(socket.connected).toBe(true);
    });

    it('ignores the cookie without an Origin, and refuses a foreign Origin even with a valid token', async () => {
      const login = await loginCookie(
        t.url,
        alice.session.credentials.email,
        alice.session.credentials.password,
      );
      const cookie = cookieHeader(cookiesFrom(login));
      expect(await connectRefused(t.url, { headers: { Cookie: cookie } })).toMatchObject({
        code: 'UNAUTHORIZED',
      });
      expect(
        await connectRefused(t.url, { headers: { Cookie: cookie, Origin: FOREIGN_ORIGIN } }),
      ).toMatchObject({ code: 'CSRF_ORIGIN_REJECTED' });
      expect(
        await connectRefused(t.url, {
          token: alice.session.accessToken,
          headers: { Origin: FOREIGN_ORIGIN },
        }),
      ).toMatchObject({ code: 'CSRF_ORIGIN_REJECTED' });
      expect(
        await connectRefused(t.url, {
          token: alice.session.accessToken,
          headers: { Origin: 'null' },
          transports: ['polling'],
        }),
      ).toMatchObject({ code: 'CSRF_ORIGIN_REJECTED' });
    });

    it('refuses missing, malformed, forged, expired and wrong-kind tokens with the right code', async () => {
      const { config } = t;
      const sid = sessionIdOf(alice.session.accessToken);
      const cases: [string, Parameters<typeof connectRefused>[1], string][] = [
        ['no auth at all', {}, 'UNAUTHORIZED'],
        ['empty auth object', { auth: {} }, 'UNAUTHORIZED'],
        ['empty token', { token: '' }, 'UNAUTHORIZED'],
        ['a number', { token: 42 }, 'UNAUTHORIZED'],
        ['an object', { token: { $gt: '' } }, 'UNAUTHORIZED'],
        ['garbage', { token: 'not.a.jwt' }, 'UNAUTHORIZED'],
        ['huge', { token: 'x'.repeat(10_000) }, 'UNAUTHORIZED'],
        [
          'forged with another key',
          { token: forgeAccessToken(config, alice.id, sid, { key: 'another-secret-0123456789' }) },
          'UNAUTHORIZED',
        ],
        [
          'alg none',
          { token: forgeAccessToken(config, alice.id, sid, { header: { alg: 'none' } }) },
          'UNAUTHORIZED',
        ],
        [
          'expired',
          {
            token: forgeAccessToken(config, alice.id, sid, {
              claims: {
                iat: Math.floor(Date.now() / 1000) - 120,
                exp: Math.floor(Date.now() / 1000) - 60,
              },
            }),
          },
          'TOKEN_EXPIRED',
        ],
        [
          'a session that does not exist',
          { token: forgeAccessToken(config, alice.id, '0198f3b2-7c1a-7b3e-9a1b-1234567890ab') },
          'UNAUTHORIZED',
        ],
        ['the refresh token', { token: alice.session.refreshToken }, 'UNAUTHORIZED'],
        [
          'a refresh-typed token signed with the refresh key',
          {
            token: signJwt(
              { alg: 'HS256', typ: 'rt+jwt' },
              { sub: alice.id, sid, jti: 'x', exp: Math.floor(Date.now() / 1000) + 600 },
              refreshKeyOf(config),
            ),
          },
          'UNAUTHORIZED',
        ],
      ];
      for (const [name, options, code] of cases) {
        const refused = await connectRefused(t.url, options);
        expect({ name, code: refused.code }).toEqual({ name, code });
        expect(typeof refused.message).toBe('string');
      }
      // The server is fine afterwards.
      expect((await connectSocket(t.url, { token: alice.session.accessToken })).connected).toBe(
        true,
      );
    });

    it('refuses the token of a signed-out session', async () => {
      const other = await anotherSession(alice.session);
      await request(t.url)
        .post('/api/v1/auth/logout')
        .set('Authorization', `Bearer ${other.accessToken}`)
        .send({})
        .expect(200);
      expect(await connectRefused(t.url, { token: other.accessToken })).toMatchObject({
        code: 'UNAUTHORIZED',
      });
    });
  });

  describe('session revocation', () => {
    it("DELETE /auth/sessions/:id sends session:revoked to that session's sockets, then disconnects them; other sessions stay", async () => {
      const phone = await anotherSession(bob.session);
      const [laptopSocket, phoneSocket, phoneSocket2] = await Promise.all([
        connectSocket(t.url, { token: bob.session.accessToken }),
        connectSocket(t.url, { token: phone.accessToken }),
        connectSocket(t.url, { token: phone.accessToken }),
      ]);
      const order: string[] = [];
      phoneSocket.on('session:revoked', () => order.push('session:revoked'));
      phoneSocket.on('disconnect', (reason) => order.push(`disconnect:${reason}`));
      const revoked = nextEvent<{ sessionId: string }>(phoneSocket, 'session:revoked');
      const gone = Promise.all([disconnected(phoneSocket), disconnected(phoneSocket2)]);
      const laptopRevoked = recordEvents(laptopSocket, 'session:revoked');

      await bob.delete(`/api/v1/auth/sessions/${phone.sessionId}`).expect(200);

      expect(await revoked).toEqual({ sessionId: phone.sessionId });
      expect(await gone).toEqual(['io server disconnect', 'io server disconnect']);
      expect(order).toEqual(['session:revoked', 'disconnect:io server disconnect']);
      expect(laptopSocket.connected).toBe(true);
      expect(laptopRevoked).toEqual([]);
    });

    it('logout disconnects the sockets of that session', async () => {
      const tablet = await anotherSession(alice.session);
      const socket = await connectSocket(t.url, { token: tablet.accessToken });
      const revoked = nextEvent(socket, 'session:revoked');
      await request(t.url)
        .post('/api/v1/auth/logout')
        .set('Authorization', `Bearer ${tablet.accessToken}`)
        .send({})
        .expect(200);
      expect(await revoked).toEqual({ sessionId: tablet.sessionId });
      await disconnected(socket);
    });
  });

  describe('access-token expiry and auth:refresh', () => {
    const shortToken = (userId: string, sessionId: string, seconds: number): string => {
      const now = Math.floor(Date.now() / 1000);
      return forgeAccessToken(t.config, userId, sessionId, {
        claims: { iat: now, exp: now + seconds },
      });
    };

    it('disconnects a socket when its access token expires', async () => {
      const sid = sessionIdOf(alice.session.accessToken);
      const token = shortToken(alice.id, sid, 3);
      const socket = await connectSocket(t.url, { token });
      expect(await disconnected(socket, 6_000)).toBe('io server disconnect');
      // Not before the token's expiry (clock tolerance 0, like HTTP).
      expect(Date.now()).toBeGreaterThanOrEqual((decodeJwt(token).payload.exp as number) * 1000);
    });

    it('auth:refresh with a fresh token of the same session keeps the socket past the old expiry', async () => {
      const sid = sessionIdOf(alice.session.accessToken);
      const socket = await connectSocket(t.url, { token: shortToken(alice.id, sid, 2) });
      const fresh = shortToken(alice.id, sid, 8);
      const reply = await emitWithAck<{ expiresAt: string }>(socket, 'auth:refresh', {
        token: fresh,
      });
      expect(reply).toEqual({
        ok: true,
        data: {
          expiresAt: new Date((decodeJwt(fresh).payload.exp as number) * 1000).toISOString(),
        },
      });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(socket.connected).toBe(true);
      expect(
        await emitWithAck(socket, 'auth:refresh', { token: alice.session.accessToken }),
      ).toMatchObject({
        ok: true,
      });
    });

    it('auth:refresh refuses tokens of another user or another session, and bad payloads, keeping the old expiry', async () => {
      const sid = sessionIdOf(alice.session.accessToken);
      const socket = await connectSocket(t.url, { token: shortToken(alice.id, sid, 6) });
      const other = await anotherSession(alice.session);
      const refusals: [unknown, string][] = [
        [{ token: bob.session.accessToken }, 'UNAUTHORIZED'],
        [{ token: other.accessToken }, 'UNAUTHORIZED'],
        [{ token: alice.session.refreshToken }, 'UNAUTHORIZED'],
        [{ token: shortToken(alice.id, sid, -5) }, 'TOKEN_EXPIRED'],
        [{ token: 'garbage' }, 'UNAUTHORIZED'],
        [{}, 'VALIDATION_FAILED'],
        [{ token: 5 }, 'VALIDATION_FAILED'],
        [{ token: alice.session.accessToken, extra: 1 }, 'VALIDATION_FAILED'],
        ['a string', 'VALIDATION_FAILED'],
        [null, 'VALIDATION_FAILED'],
        [[{ token: alice.session.accessToken }], 'VALIDATION_FAILED'],
        [{ token: 'x'.repeat(20_000) }, 'PAYLOAD_TOO_LARGE'],
        [JSON.parse('{"__proto__":{"polluted":true},"token":"x"}'), 'VALIDATION_FAILED'],
      ];
      for (const [payload, code] of refusals) {
        const reply = await emitWithAck(socket, 'auth:refresh', payload);
        expect({ payload: JSON.stringify(payload)?.slice(0, 60), reply }).toEqual({
          payload: JSON.stringify(payload)?.slice(0, 60),
          reply: { ok: false, error: { code, message: expect.any(String) } },
        });
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      // No ack callback, no payload, extra arguments: nothing breaks.
      emitNoAck(socket, 'auth:refresh', { token: 'garbage' });
      emitNoAck(socket, 'auth:refresh');
      expect(await emitArgsWithAck(socket, 'auth:refresh', [])).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED' },
      });
      expect(
        await emitArgsWithAck(socket, 'auth:refresh', [{ token: 'a' }, { token: 'b' }]),
      ).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
      expect(await disconnected(socket, 8_000)).toBe('io server disconnect');
    }, 15_000);
  });
});
