import { createHmac, randomBytes } from 'node:crypto';
import request, { type Response } from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import {
  ALLOWED_ORIGIN,
  smtpOtpReader,
  meBearer,
  refreshBearer,
  signUpBearer,
  type BearerSession,
} from '../support/auth';
import { expectErrorEnvelope } from '../support/envelope';
import {
  base64url,
  decodeJwt,
  forgeAccessToken,
  hs256,
  refreshKeyOf,
  signJwt,
  unsignedJwt,
} from '../support/jwt';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

type Transport = 'bearer' | 'cookie';

/** GET /users/me carrying `token` as a Bearer header or as the access_token cookie. */
function me(url: string, transport: Transport, token: string): Promise<Response> {
  const req = request(url).get('/api/v1/users/me');
  return transport === 'bearer'
    ? req.set('Authorization', `Bearer ${token}`)
    : req.set('Cookie', `access_token=${token}`);
}

/** Routes that answer without a token; everything else must say 401 first. */
const PUBLIC_ROUTES = new Set([
  'POST /api/v1/auth/register',
  'POST /api/v1/auth/verify-otp',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/refresh',
  'POST /api/v1/auth/forgot-password',
  'POST /api/v1/auth/reset-password',
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
  // Authorised by the signed, expiring token in the URL instead of a session (local media driver).
  'PUT /api/v1/media/local/upload',
  'GET /api/v1/media/local/download',
]);

describe('auth: access-token attacks', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let victim: BearerSession;
  let sid: string;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    victim = await signUpBearer(t.url, smtpOtpReader(smtp));
    sid = decodeJwt(victim.accessToken).payload.sid as string;
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  it('the genuine token works in both transports, and a forged copy of it too (sanity check of the forger)', async () => {
    for (const transport of ['bearer', 'cookie'] as const) {
      expect((await me(t.url, transport, victim.accessToken)).status).toBe(200);
      expect(
        (await me(t.url, transport, forgeAccessToken(t.config, victim.userId, sid))).status,
      ).toBe(200);
    }
    // The auth scheme is case-insensitive.
    const lower = await request(t.url)
      .get('/api/v1/users/me')
      .set('Authorization', `bearer ${victim.accessToken}`);
    expect(lower.status).toBe(200);
  });

  const claims =
    (overrides: Record<string, unknown> = {}) =>
    () =>
      forgeAccessToken(t.config, victim.userId, sid, { claims: overrides });
  const header = (overrides: Record<string, unknown>) => () =>
    forgeAccessToken(t.config, victim.userId, sid, { header: overrides });
  const unsigned = (alg: string, dot: boolean) => () =>
    unsignedJwt(alg, decodeJwt(forgeAccessToken(t.config, victim.userId, sid)).payload, dot);
  const withSegments = (head: string, payload: string) => () => {
    const data = `${base64url(head)}.${base64url(payload)}`;
    return `${data}.${hs256(data, t.config.auth.accessSecret)}`;
  };

  const attacks: [string, () => string, string?][] = [
    ['alg none', unsigned('none', true)],
    ['alg none without the trailing dot', unsigned('none', false)],
    ['alg None', unsigned('None', true)],
    ['alg NONE', unsigned('NONE', true)],
    ['alg nOnE', unsigned('nOnE', true)],
    ['alg nOnE without the trailing dot', unsigned('nOnE', false)],
    ['a stripped signature', () => victim.accessToken.replace(/\.[^.]+$/, '.')],
    ['a stripped signature and dot', () => victim.accessToken.replace(/\.[^.]+$/, '')],
    [
      'HS256 with another key',
      () => forgeAccessToken(t.config, victim.userId, sid, { key: 'another-key-0123456789abcdef' }),
    ],
    [
      'HS256 with the refresh key',
      () =>
        forgeAccessToken(t.config, victim.userId, sid, {
          key: refreshKeyOf(t.config).toString('latin1'),
        }),
    ],
    [
      'a tampered payload with the original signature',
      () => {
        const [h, , s] = victim.accessToken.split('.');
        const payload = {
          ...decodeJwt(victim.accessToken).payload,
          sub: randomBytes(16).toString('hex'),
        };
        return `${h}.${base64url(JSON.stringify(payload))}.${s}`;
      },
    ],
    [
      'a prolonged exp with the original signature',
      () => {
        const [h, , s] = victim.accessToken.split('.');
        const payload = { ...decodeJwt(victim.accessToken).payload, exp: 4_000_000_000 };
        return `${h}.${base64url(JSON.stringify(payload))}.${s}`;
      },
    ],
    [
      'HS512 with the real secret (algorithm pinned)',
      () => {
        const data = `${base64url(JSON.stringify({ alg: 'HS512', typ: 'at+jwt' }))}.${victim.accessToken.split('.')[1]}`;
        return `${data}.${createHmac('sha512', t.config.auth.accessSecret).update(data).digest('base64url')}`;
      },
    ],
    ['an RS256 header over an HMAC signature', header({ alg: 'RS256' })],
    ['a wrong iss', claims({ iss: 'someone-else' })],
    ['a missing iss', claims({ iss: undefined })],
    ['a wrong aud', claims({ aud: 'other-clients' })],
    [
      'the refresh audience',
      () =>
        forgeAccessToken(t.config, victim.userId, sid, {
          claims: { aud: `${t.config.auth.audience}:refresh` },
        }),
    ],
    ['a missing aud', claims({ aud: undefined })],
    ['typ JWT', header({ typ: 'JWT' })],
    ['typ rt+jwt', header({ typ: 'rt+jwt' })],
    ['no typ', header({ typ: undefined })],
    ['exp in the past', claims({ exp: Math.floor(Date.now() / 1000) - 5 }), 'TOKEN_EXPIRED'],
    ['nbf in the future', claims({ nbf: Math.floor(Date.now() / 1000) + 3600 })],
    ['a missing sub', claims({ sub: undefined })],
    ['a missing sid', claims({ sid: undefined })],
    ['a missing jti', claims({ jti: undefined })],
    ['a missing exp', claims({ exp: undefined })],
    ['a numeric sub', claims({ sub: 12345 })],
    ['a sid of no session', claims({ sid: '01900000-0000-7000-8000-000000000000' })],
    [
      'a ~10 kB header segment, wrongly signed',
      () => {
        const data = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', x: 'a'.repeat(10_000) }))}.${victim.accessToken.split('.')[1]}`;
        return `${data}.${hs256(data, 'not-the-key')}`;
      },
    ],
    ['a ~10 kB header segment, correctly signed', header({ x: 'a'.repeat(10_000) })],
    ['a non-JSON header segment', withSegments('not json at all', JSON.stringify({ sub: 'x' }))],
    ['a null header', withSegments('null', JSON.stringify({ sub: 'x' }))],
    ['an array header', withSegments('[]', JSON.stringify({ sub: 'x' }))],
    ['a string header', withSegments('"HS256"', JSON.stringify({ sub: 'x' }))],
    ['a null payload', withSegments(JSON.stringify({ alg: 'HS256', typ: 'at+jwt' }), 'null')],
    ['a numeric payload', withSegments(JSON.stringify({ alg: 'HS256', typ: 'at+jwt' }), '42')],
    ['a non-JSON payload', withSegments(JSON.stringify({ alg: 'HS256', typ: 'at+jwt' }), '{sub:')],
    ['the refresh token', () => victim.refreshToken],
    ['a, b', () => 'a.b'],
    ['random base64url', () => randomBytes(48).toString('base64url')],
    ['four segments', () => `${victim.accessToken}.${victim.accessToken.split('.')[2]}`],
  ];

  describe.each(['bearer', 'cookie'] as const)('over %s', (transport) => {
    it.each(attacks)('%s → 401', async (_name, make, code = 'UNAUTHORIZED') => {
      const res = await me(t.url, transport, make());
      expectErrorEnvelope(res, 401, code);
    });
  });

  it.each([
    ['Bearer'],
    ['Bearer '],
    ['Bearer a.b'],
    ['Basic xyz'],
    ['Basic dXNlcjpwYXNz'],
    ['Token abc.def.ghi'],
    ['BearerX abc.def.ghi'],
  ])('Authorization "%s" → 401', async (value) => {
    const res = await request(t.url).get('/api/v1/users/me').set('Authorization', value);
    expectErrorEnvelope(res, 401, 'UNAUTHORIZED');
  });

  it('a malformed Authorization header is not rescued by a valid cookie', async () => {
    const res = await request(t.url)
      .get('/api/v1/users/me')
      .set('Authorization', 'Basic xyz')
      .set('Cookie', `access_token=${victim.accessToken}`);
    expectErrorEnvelope(res, 401, 'UNAUTHORIZED');
    const twoSpaces = await request(t.url)
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer  x ${victim.accessToken}`);
    expectErrorEnvelope(twoSpaces, 401, 'UNAUTHORIZED');
  });

  it('an access token is not a refresh token (body and cookie)', async () => {
    expectErrorEnvelope(
      await refreshBearer(t.url, victim.accessToken),
      401,
      'REFRESH_TOKEN_INVALID',
    );
    const viaCookie = await request(t.url)
      .post('/api/v1/auth/refresh')
      .set('Origin', ALLOWED_ORIGIN)
      .set('Cookie', `refresh_token=${victim.accessToken}`)
      .send({});
    expectErrorEnvelope(viaCookie, 401, 'REFRESH_TOKEN_INVALID');
    // A refresh token signed with the access key (right claims, wrong key) is refused too.
    const forged = signJwt(
      { alg: 'HS256', typ: 'rt+jwt' },
      { ...decodeJwt(victim.refreshToken).payload },
      t.config.auth.accessSecret,
    );
    expectErrorEnvelope(await refreshBearer(t.url, forged), 401, 'REFRESH_TOKEN_INVALID');
  });

  it('a 100 kB Authorization header is refused by the HTTP parser (431), never a 500', async () => {
    const res = await request(t.url)
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${'a'.repeat(100 * 1024)}`);
    expect(res.status).toBe(431);
    // Answered by the server's clientError handler, outside express: the contract's error shape.
    expect(res.body).toMatchObject({ success: false, error: { code: 'HEADERS_TOO_LARGE' } });
    expect(typeof res.body.requestId).toBe('string');
  });

  describe('revoked tokens', () => {
    let user: BearerSession;
    beforeEach(async () => {
      user = await signUpBearer(t.url, smtpOtpReader(smtp));
    });

    it('an access token stops working at logout (denylisted) in both transports', async () => {
      const out = await request(t.url)
        .post('/api/v1/auth/logout')
        .set('Authorization', `Bearer ${user.accessToken}`)
        .send({});
      expect(out.status).toBe(200);
      for (const transport of ['bearer', 'cookie'] as const) {
        expectErrorEnvelope(await me(t.url, transport, user.accessToken), 401, 'UNAUTHORIZED');
      }
    });

    it('an access token of a revoked session stops working at once', async () => {
      const other = await request(t.url)
        .post('/api/v1/auth/login')
        .set('X-Auth-Transport', 'bearer')
        .send({ email: user.credentials.email, password: user.credentials.password });
      const otherToken = other.body.data.tokens.accessToken as string;
      const userSid = decodeJwt(user.accessToken).payload.sid as string;
      const revoke = await request(t.url)
        .delete(`/api/v1/auth/sessions/${userSid}`)
        .set('Authorization', `Bearer ${otherToken}`);
      expect(revoke.status).toBe(200);
      for (const transport of ['bearer', 'cookie'] as const) {
        expectErrorEnvelope(await me(t.url, transport, user.accessToken), 401, 'UNAUTHORIZED');
      }
      expect((await meBearer(t.url, otherToken)).status).toBe(200);
    });
  });

  it('deny by default: every route outside the public list answers 401 without a token', async () => {
    const server = t.app.getHttpAdapter().getInstance() as {
      router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
    };
    const routes = server.router.stack
      .map((layer) => layer.route)
      .filter(
        (route): route is NonNullable<typeof route> =>
          route !== undefined && typeof route.path === 'string',
      )
      // `app.all` layers (Nest's middleware) list every method; handlers list one.
      .flatMap((route) =>
        route.methods.acl
          ? []
          : Object.keys(route.methods).map((m) => ({ method: m.toUpperCase(), path: route.path })),
      )
      .filter(
        ({ path }) => path !== '/docs' && !path.startsWith('/docs/') && !path.startsWith('/docs-'),
      );
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining([
        'POST /api/v1/auth/logout',
        'GET /api/v1/auth/sessions',
        'GET /api/v1/users/me',
      ]),
    );
    const guarded = routes.filter((r) => !PUBLIC_ROUTES.has(`${r.method} ${r.path}`));
    const uuid = '01900000-0000-7000-8000-000000000001';
    const answers: string[] = [];
    for (const { method, path } of guarded) {
      const concrete = path.replace(/:[A-Za-z]+/g, (param) =>
        param === ':emoji' ? '%F0%9F%91%8D' : uuid,
      );
      const res = await request(t.url)
        [method.toLowerCase() as 'get' | 'post' | 'patch' | 'put' | 'delete'](concrete)
        .send(method === 'GET' || method === 'DELETE' ? undefined : {});
      answers.push(`${method} ${path} → ${res.status} ${res.body?.error?.code ?? ''}`);
      if (res.status === 401) expectErrorEnvelope(res, 401, 'UNAUTHORIZED');
    }
    expect(answers).toEqual(
      guarded.map(({ method, path }) => `${method} ${path} → 401 UNAUTHORIZED`),
    );
    // And the public ones really are public: none asks for an access token (refresh may still
    // answer 401, but for the missing refresh token, not for a missing access token).
    for (const route of PUBLIC_ROUTES) {
      const [method, path] = route.split(' ');
      const res = await request(t.url)
        [method.toLowerCase() as 'get' | 'post' | 'put'](path)
        .send(method === 'POST' ? {} : undefined);
      expect({ route, code: res.body?.error?.code }).not.toEqual({ route, code: 'UNAUTHORIZED' });
      if (res.status === 401) expectErrorEnvelope(res, 401, 'REFRESH_TOKEN_INVALID');
    }
  });
});
