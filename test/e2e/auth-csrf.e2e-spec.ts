import request, { type Test } from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import {
  ALLOWED_ORIGIN,
  cookiesFrom,
  smtpOtpReader,
  loginBearer,
  loginCookie,
  meBearer,
  newCredentials,
  register,
  signUpBearer,
  type BearerSession,
  type OtpReader,
} from '../support/auth';
import { expectErrorEnvelope } from '../support/envelope';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

interface WebUser {
  user: BearerSession;
  access: string;
}

const FOREIGN = [
  ['a foreign Origin', { Origin: 'https://evil.example' }],
  ['Origin null', { Origin: 'null' }],
  ['another port', { Origin: 'http://localhost:5174' }],
  ['another scheme', { Origin: 'https://localhost:5173' }],
  ['a look-alike host', { Origin: 'http://localhost:5173.evil.example' }],
  ['a trailing slash', { Origin: `${ALLOWED_ORIGIN}/` }],
  ['a foreign Referer only', { Referer: 'https://evil.example/page' }],
] as const;

describe('auth: CSRF defence for cookie authentication', () => {
  let smtp: TestSmtpServer;
  let readOtp: OtpReader;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    readOtp = smtpOtpReader(smtp);
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  async function webUser(): Promise<WebUser> {
    const user = await signUpBearer(t.url, readOtp);
    const login = await loginCookie(t.url, user.credentials.email, user.credentials.password);
    expect(login.status).toBe(200);
    return { user, access: cookiesFrom(login).access_token };
  }

  const withCookie = (req: Test, access: string): Test =>
    req.set('Cookie', `access_token=${access}`);
  const meByCookie = (access: string) => withCookie(request(t.url).get('/api/v1/users/me'), access);

  it('a cookie-authenticated POST /auth/logout without Origin or Referer is 403 and changes nothing', async () => {
    const { access } = await webUser();
    const res = await withCookie(request(t.url).post('/api/v1/auth/logout'), access).send({});
    expectErrorEnvelope(res, 403, 'CSRF_ORIGIN_REJECTED');
    expect((await meByCookie(access)).status).toBe(200);
  });

  it('a cookie-authenticated change-password without Origin is 403 and the password stays', async () => {
    const { user, access } = await webUser();
    const res = await withCookie(request(t.url).post('/api/v1/auth/change-password'), access).send({
      currentPassword: user.credentials.password,
      newPassword: 'a brand new passphrase 42',
    });
    expectErrorEnvelope(res, 403, 'CSRF_ORIGIN_REJECTED');
    expect(
      (await loginBearer(t.url, user.credentials.email, user.credentials.password)).status,
    ).toBe(200);
  });

  describe.each(FOREIGN)('with %s', (_name, headers) => {
    it('cookie-authenticated state changes are 403', async () => {
      const { user, access } = await webUser();
      const attempts: [string, Test][] = [
        ['logout', request(t.url).post('/api/v1/auth/logout')],
        ['logout-all', request(t.url).post('/api/v1/auth/logout-all')],
        ['change-password', request(t.url).post('/api/v1/auth/change-password')],
        [
          'delete session',
          request(t.url).delete(`/api/v1/auth/sessions/${'01900000-0000-7000-8000-000000000001'}`),
        ],
        ['patch profile', request(t.url).patch('/api/v1/users/me')],
      ];
      for (const [, req] of attempts) {
        const res = await withCookie(req.set(headers), access).send(
          req.method === 'DELETE'
            ? undefined
            : { currentPassword: user.credentials.password, newPassword: 'another passphrase 42' },
        );
        expectErrorEnvelope(res, 403, 'CSRF_ORIGIN_REJECTED');
      }
      expect((await meByCookie(access)).status).toBe(200);
    });

    it('login is 403 (login CSRF), in either transport', async () => {
      const user = await signUpBearer(t.url, readOtp);
      const body = { email: user.credentials.email, password: user.credentials.password };
      const web = await request(t.url).post('/api/v1/auth/login').set(headers).send(body);
      expectErrorEnvelope(web, 403, 'CSRF_ORIGIN_REJECTED');
      expect(web.headers['set-cookie']).toBeUndefined();
      const api = await request(t.url)
        .post('/api/v1/auth/login')
        .set('X-Auth-Transport', 'bearer')
        .set(headers)
        .send(body);
      expectErrorEnvelope(api, 403, 'CSRF_ORIGIN_REJECTED');
    });
  });

  it('a garbage Referer names no origin: 403 for a cookie-authenticated change', async () => {
    const { access } = await webUser();
    const res = await withCookie(request(t.url).post('/api/v1/auth/logout'), access)
      .set('Referer', 'not a url')
      .send({});
    expectErrorEnvelope(res, 403, 'CSRF_ORIGIN_REJECTED');
  });

  it('an allowed Referer alone is enough', async () => {
    const { access } = await webUser();
    const res = await withCookie(request(t.url).post('/api/v1/auth/logout'), access)
      .set('Referer', `${ALLOWED_ORIGIN}/settings/security?tab=1`)
      .send({});
    expect(res.status).toBe(200);
    expectErrorEnvelope(await meByCookie(access), 401, 'UNAUTHORIZED');
  });

  it('the allowed Origin wins over a foreign Referer', async () => {
    const { access } = await webUser();
    const res = await withCookie(request(t.url).post('/api/v1/auth/logout'), access)
      .set('Origin', ALLOWED_ORIGIN)
      .set('Referer', 'https://evil.example/')
      .send({});
    expect(res.status).toBe(200);
  });

  it('GET with the cookie and no Origin is allowed (safe method)', async () => {
    const { access } = await webUser();
    expect((await meByCookie(access)).status).toBe(200);
    expect((await withCookie(request(t.url).get('/api/v1/auth/sessions'), access)).status).toBe(
      200,
    );
  });

  it('bearer requests are not subject to the origin check', async () => {
    const user = await signUpBearer(t.url, readOtp);
    const sessions = await request(t.url)
      .get('/api/v1/auth/sessions')
      .set('Authorization', `Bearer ${user.accessToken}`)
      .set('Origin', 'https://evil.example');
    expect(sessions.status).toBe(200);
    const out = await request(t.url)
      .post('/api/v1/auth/logout')
      .set('Authorization', `Bearer ${user.accessToken}`)
      .send({});
    expect(out.status).toBe(200);
    expectErrorEnvelope(await meBearer(t.url, user.accessToken), 401, 'UNAUTHORIZED');
    // A bearer request from a page carrying a foreign Origin: the header is the credential, not the cookie.
    const other = await signUpBearer(t.url, readOtp);
    const foreign = await request(t.url)
      .post('/api/v1/auth/logout-all')
      .set('Authorization', `Bearer ${other.accessToken}`)
      .set('Origin', 'https://evil.example')
      .send({});
    expect(foreign.status).toBe(200);
  });

  it('login and verify-otp without any Origin (native clients) or with the allowed one work', async () => {
    const user = await signUpBearer(t.url, readOtp);
    expect(
      (await loginBearer(t.url, user.credentials.username, user.credentials.password)).status,
    ).toBe(200);
    expect(
      (await loginCookie(t.url, user.credentials.username, user.credentials.password)).status,
    ).toBe(200);
    const credentials = newCredentials();
    expect((await register(t.url, credentials)).status).toBe(202);
    const otp = await readOtp(credentials.email);
    const evil = await request(t.url)
      .post('/api/v1/auth/verify-otp')
      .set('Origin', 'https://evil.example')
      .send({ email: credentials.email, otp });
    expectErrorEnvelope(evil, 403, 'CSRF_ORIGIN_REJECTED');
    const ok = await request(t.url)
      .post('/api/v1/auth/verify-otp')
      .set('Origin', ALLOWED_ORIGIN)
      .send({ email: credentials.email, otp });
    expect(ok.status).toBe(201);
    expect(Object.keys(cookiesFrom(ok)).sort()).toEqual(['access_token', 'refresh_token']);
  });
});
