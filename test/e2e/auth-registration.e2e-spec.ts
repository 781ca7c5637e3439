import request, { type Response } from 'supertest';
import { commonPasswords } from '../../src/modules/auth/credentials/password-policy';
import { startTestApp, type TestApp } from '../support/app';
import {
  ALLOWED_ORIGIN,
  cookieHeader,
  cookiesFrom,
  countUsers,
  hostileBodies,
  loginBearer,
  mailTo,
  extractOtp,
  newCredentials,
  register,
  signUpBearer,
  smtpOtpReader,
  type Credentials,
} from '../support/auth';
import { expectErrorEnvelope } from '../support/envelope';
import { rawRedis } from '../support/redis';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

const AUTH = '/api/v1/auth';

/** Issue #3 points 1 and 2: registration with an emailed OTP, verification, and the input rules. */
describe('auth: registration and verification', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let databaseUrl: string;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    // SameSite is taken from config: a non-default value proves the cookies follow it.
    t = await startTestApp({
      env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50', COOKIE_SAMESITE: 'strict' },
    });
    databaseUrl = t.database!.url;
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  const otpFor = async (email: string, since = 0): Promise<string> =>
    extractOtp(await mailTo(smtp, email, { since, subject: /^Verify your email/ }));

  const verify = (body: object, bearer = true): request.Test => {
    const req = request(t.url).post(`${AUTH}/verify-otp`);
    return bearer ? req.set('X-Auth-Transport', 'bearer').send(body) : req.send(body);
  };

  const setCookieLines = (res: Response): string[] =>
    (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];

  it('answers 202 and writes nothing to PostgreSQL until the mailed code verifies (bearer)', async () => {
    const c = newCredentials();
    const res = await register(t.url, c);
    expect(res.status).toBe(202);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      success: true,
      message: expect.any(String),
      data: { email: c.email, expiresInSeconds: 300 },
    });
    expect(await countUsers(databaseUrl, c.email)).toBe(0);
    expect(await countUsers(databaseUrl, c.username)).toBe(0);

    const verified = await verify({ email: c.email, otp: await otpFor(c.email) });
    expect(verified.status).toBe(201);
    expect(verified.headers['cache-control']).toBe('no-store');
    expect(verified.headers['set-cookie']).toBeUndefined();
    const { user, tokens } = verified.body.data;
    expect(Object.keys(verified.body.data).sort()).toEqual(['tokens', 'user']);
    expect(user).toMatchObject({ id: expect.any(String), username: c.username, email: c.email });
    expect(JSON.stringify(user)).not.toMatch(/password|hash/i);
    expect(Object.keys(tokens).sort()).toEqual([
      'accessToken',
      'accessTokenExpiresAt',
      'refreshToken',
      'refreshTokenExpiresAt',
    ]);
    const accessExp = Date.parse(tokens.accessTokenExpiresAt);
    const refreshExp = Date.parse(tokens.refreshTokenExpiresAt);
    expect(accessExp).toBeGreaterThan(Date.now());
    expect(refreshExp).toBeGreaterThan(accessExp);
    expect(await countUsers(databaseUrl, c.email)).toBe(1);

    const me = await request(t.url)
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${tokens.accessToken}`);
    expect(me.status).toBe(200);
    expect(me.body.data.id).toBe(user.id);
  });

  it('in cookie mode sets httpOnly cookies with the configured SameSite and no tokens in the body', async () => {
    const c = newCredentials();
    // Email is normalised to lower case on the way in; the mail goes to the normalised address.
    const typed = c.email.toUpperCase();
    const res = await register(t.url, { ...c, email: typed });
    expect(res.status).toBe(202);
    expect(res.body.data.email).toBe(c.email);
    const otp = await otpFor(c.email);

    const verified = await verify({ email: typed, otp }, false).set('Origin', ALLOWED_ORIGIN);
    expect(verified.status).toBe(201);
    expect(verified.headers['cache-control']).toBe('no-store');
    expect(Object.keys(verified.body.data)).toEqual(['user']);
    expect(verified.body.data.user.email).toBe(c.email);
    const lines = setCookieLines(verified);
    const access = lines.find((line) => line.startsWith('access_token='));
    const refresh = lines.find((line) => line.startsWith('refresh_token='));
    expect(access).toMatch(/; Path=\/;/);
    expect(refresh).toMatch(/; Path=\/api\/v1\/auth;/);
    for (const line of [access, refresh]) {
      expect(line).toMatch(/; HttpOnly/);
      expect(line).toMatch(/; SameSite=Strict/);
      expect(line).not.toMatch(/; Secure/); // COOKIE_SECURE is false in tests
    }
    const cookies = cookiesFrom(verified);
    const text = JSON.stringify(verified.body);
    expect(text).not.toContain(cookies.access_token);
    expect(text).not.toContain(cookies.refresh_token);

    const me = await request(t.url).get('/api/v1/users/me').set('Cookie', cookieHeader(cookies));
    expect(me.status).toBe(200);
    expect(me.body.data.email).toBe(c.email);
  });

  it('refuses a taken username (any letter case) with 409 USERNAME_TAKEN', async () => {
    const taken = await signUpBearer(t.url, smtpOtpReader(smtp));
    const res = await register(
      t.url,
      newCredentials({ username: taken.credentials.username.toUpperCase() }),
    );
    expectErrorEnvelope(res, 409, 'USERNAME_TAKEN');
  });

  it('refuses a registered email (any letter case) with 409 EMAIL_TAKEN', async () => {
    const taken = await signUpBearer(t.url, smtpOtpReader(smtp));
    const res = await register(
      t.url,
      newCredentials({ email: taken.credentials.email.toUpperCase() }),
    );
    expectErrorEnvelope(res, 409, 'EMAIL_TAKEN');
  });

  const invalid: [string, (c: Credentials) => Record<string, unknown>, string[]][] = [
    ['every field missing', () => ({}), ['email', 'password', 'username']],
    ['password missing', ({ username, email }) => ({ username, email }), ['password']],
    ['an unknown extra field', (c) => ({ ...c, role: 'admin' }), ['role']],
    ['a malformed email', (c) => ({ ...c, email: 'not-an-email' }), ['email']],
    ['an email without a TLD', (c) => ({ ...c, email: 'someone@localhost' }), ['email']],
    ['a 2-character username', (c) => ({ ...c, username: 'ab' }), ['username']],
    ['a 31-character username', (c) => ({ ...c, username: 'a'.repeat(31) }), ['username']],
    ['a username with a space', (c) => ({ ...c, username: 'bad name' }), ['username']],
    ['a username with a dash', (c) => ({ ...c, username: 'bad-name' }), ['username']],
    ['a username with a non-ASCII letter', (c) => ({ ...c, username: 'üser_name' }), ['username']],
    ['a username with markup', (c) => ({ ...c, username: '<b>x</b>' }), ['username']],
    ['a numeric username', (c) => ({ ...c, username: 12345 }), ['username']],
    ['an array email', (c) => ({ ...c, email: [c.email] }), ['email']],
    ['an object password', (c) => ({ ...c, password: { value: c.password } }), ['password']],
    ['a numeric password', (c) => ({ ...c, password: 1234567890 }), ['password']],
    [
      'null fields',
      () => ({ username: null, email: null, password: null }),
      ['email', 'password', 'username'],
    ],
    ['a boolean email', (c) => ({ ...c, email: true }), ['email']],
  ];

  it.each(invalid)(
    'answers 422 VALIDATION_FAILED with per-field details for %s',
    async (_name, build, fields) => {
      const c = newCredentials();
      const res = await request(t.url).post(`${AUTH}/register`).send(build(c));
      const error = expectErrorEnvelope(res, 422, 'VALIDATION_FAILED');
      expect([...new Set(error.details?.map((d) => d.field))].sort()).toEqual(fields);
      expect(await countUsers(databaseUrl, c.email)).toBe(0);
    },
  );

  const codePoints = (n: number, from = 0x1f600): string =>
    Array.from({ length: n }, (_, i) => String.fromCodePoint(from + (i % 64))).join('');

  const weak: [string, (c: Credentials) => string][] = [
    ['7 characters', () => 'x7#kQ2z'],
    ['129 code points', () => codePoints(129)],
    ['a common password', () => 'password123'],
    ['a common password in other case', () => 'PassWord123'],
    ['the username', (c) => c.username.toUpperCase()],
    ['the email', (c) => c.email],
  ];

  it.each(weak)(
    'answers 422 WEAK_PASSWORD for %s, without starting the OTP cooldown',
    async (_name, password) => {
      expect(commonPasswords().has('password123')).toBe(true);
      const c = newCredentials();
      const res = await register(t.url, { ...c, password: password(c) });
      const error = expectErrorEnvelope(res, 422, 'WEAK_PASSWORD');
      expect(error.details?.every((d) => d.field === 'password')).toBe(true);
      // No code was sent, so a corrected retry is not rate limited.
      expect((await register(t.url, c)).status).toBe(202);
    },
  );

  it.each([
    ['128 emoji code points', codePoints(128)],
    ['spaces, kept exactly as typed', '  correct horse battery staple  '],
  ])('accepts a password of %s and signs in with exactly it', async (_name, password) => {
    const s = await signUpBearer(t.url, smtpOtpReader(smtp), { password });
    expect((await loginBearer(t.url, s.credentials.email, password)).status).toBe(200);
    // One code point less (not one UTF-16 unit: half an emoji is not text and is refused with 422).
    const altered =
      password.trim() === password ? [...password].slice(0, -1).join('') : password.trim();
    expect((await loginBearer(t.url, s.credentials.email, altered)).status).toBe(401);
  });

  it('allows one code per email per 60 s (429 OTP_RATE_LIMITED, any letter case); a later one replaces it', async () => {
    const c = newCredentials();
    expect((await register(t.url, c)).status).toBe(202);
    const firstOtp = await otpFor(c.email);

    const again = await register(t.url, newCredentials({ email: c.email.toUpperCase() }));
    expectErrorEnvelope(again, 429, 'OTP_RATE_LIMITED');
    const retryAfter = Number(again.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // The cooldown running out, without waiting 60 s.
    const redis = rawRedis();
    try {
      expect(await redis.del(`${t.config.redis.keyPrefix}register:ratelimit:${c.email}`)).toBe(1);
    } finally {
      redis.disconnect();
    }
    const since = smtp.messages.length;
    expect((await register(t.url, c)).status).toBe(202);
    const secondOtp = await otpFor(c.email, since);
    if (secondOtp === firstOtp) return; // a one-in-a-million repeat: nothing to tell apart

    expectErrorEnvelope(await verify({ email: c.email, otp: firstOtp }), 400, 'OTP_INVALID');
    expect(await countUsers(databaseUrl, c.email)).toBe(0);
    expect((await verify({ email: c.email, otp: secondOtp })).status).toBe(201);
    expect(await countUsers(databaseUrl, c.email)).toBe(1);
  });

  describe.each(['register', 'verify-otp'])('hostile bodies on POST /auth/%s', (path) => {
    const valid =
      path === 'register'
        ? { ...newCredentials() }
        : { email: newCredentials().email, otp: '123456' };
    it.each(hostileBodies(valid).map((b) => [b.name, b] as const))(
      'answers a clean 4xx for a %s',
      async (_name, body) => {
        const res = await request(t.url)
          .post(`${AUTH}/${path}`)
          .set('Content-Type', 'application/json')
          .send(body.raw);
        expectErrorEnvelope(res, body.status, body.code);
        expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      },
    );
  });
});
