import request, { type Response } from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import {
  cookieHeader,
  cookiesFrom,
  hostileBodies,
  loginBearer,
  loginCookie,
  mailTo,
  mailsTo,
  newCredentials,
  extractOtp,
  signUpBearer,
  smtpOtpReader,
  type BearerSession,
} from '../support/auth';
import { expectErrorEnvelope } from '../support/envelope';
import { keysUnder, rawRedis } from '../support/redis';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

const AUTH = '/api/v1/auth';
const RESET_SUBJECT = /^Reset your .* password$/;
const CHANGED_SUBJECT = /password was changed$/;
const wrongCode = (otp: string): string => String((Number(otp) + 1) % 1_000_000).padStart(6, '0');

/** Issue #3 point 8: forgotten, reset and changed passwords. */
describe('auth: password reset and change', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  const signUp = (): Promise<BearerSession> => signUpBearer(t.url, smtpOtpReader(smtp));
  const forgot = (email: string): request.Test =>
    request(t.url).post(`${AUTH}/forgot-password`).send({ email });
  const reset = (email: string, otp: string, password: string): request.Test =>
    request(t.url).post(`${AUTH}/reset-password`).send({ email, otp, password });
  const change = (accessToken: string, body: object): request.Test =>
    request(t.url)
      .post(`${AUTH}/change-password`)
      .set('Authorization', `Bearer ${accessToken}`)
      .send(body);
  const me = (accessToken: string): request.Test =>
    request(t.url).get('/api/v1/users/me').set('Authorization', `Bearer ${accessToken}`);
  const refresh = (refreshToken: string): request.Test =>
    request(t.url).post(`${AUTH}/refresh`).set('X-Auth-Transport', 'bearer').send({ refreshToken });

  /** Asks for a reset code and returns it from the mail. */
  const resetCode = async (email: string): Promise<string> => {
    const since = smtp.messages.length;
    expect((await forgot(email)).status).toBe(200);
    return extractOtp(await mailTo(smtp, email, { since, subject: RESET_SUBJECT }));
  };

  const resetJobs = async (): Promise<number> => {
    const redis = rawRedis();
    try {
      const prefix = `${t.config.redis.keyPrefix}bull:mail:password-reset-otp.`;
      return (await keysUnder(redis, prefix)).filter(
        (key) => !key.slice(prefix.length).includes(':'),
      ).length;
    } finally {
      redis.disconnect();
    }
  };

  describe('POST /auth/forgot-password', () => {
    it('answers the same for a known and an unknown email, and mails only the known one', async () => {
      const s = await signUp();
      const unknown = newCredentials().email;
      const jobsBefore = await resetJobs();
      const since = smtp.messages.length;
      const known = await forgot(s.credentials.email.toUpperCase());
      const other = await forgot(unknown);
      expect(known.status).toBe(200);
      expect(other.status).toBe(200);
      expect(known.body).toEqual({ success: true, message: expect.any(String), data: null });
      expect(other.body).toEqual(known.body);
      expect(other.headers['cache-control']).toBe(known.headers['cache-control']);

      const mail = await mailTo(smtp, s.credentials.email, { since, subject: RESET_SUBJECT });
      expect(extractOtp(mail)).toMatch(/^\d{6}$/);
      expect(mail.html).toContain(extractOtp(mail));
      // Both requests were answered after their enqueue step: exactly one mail job exists.
      expect((await resetJobs()) - jobsBefore).toBe(1);
      expect(mailsTo(smtp, unknown)).toHaveLength(0);
    });

    it('rate limits a second request within 60 s for known and unknown emails alike', async () => {
      const s = await signUp();
      const unknown = newCredentials().email;
      for (const email of [s.credentials.email, unknown]) {
        expect((await forgot(email)).status).toBe(200);
        const again = await forgot(email.toUpperCase());
        expectErrorEnvelope(again, 429, 'OTP_RATE_LIMITED');
        const retryAfter = Number(again.headers['retry-after']);
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
      }
    });
  });

  describe('POST /auth/reset-password', () => {
    it('changes the password, kills every session and mails a notice', async () => {
      const s = await signUp();
      const { email, password } = s.credentials;
      const second = (await loginBearer(t.url, email, password)).body.data.tokens;
      const web = cookiesFrom(await loginCookie(t.url, email, password));
      const otp = await resetCode(email);
      const since = smtp.messages.length;
      const fresh = 'a brand new passphrase 42';

      const res = await reset(email, otp, fresh);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');

      expectErrorEnvelope(await loginBearer(t.url, email, password), 401, 'INVALID_CREDENTIALS');
      expect((await loginBearer(t.url, email, fresh)).status).toBe(200);
      for (const token of [s.accessToken, second.accessToken as string]) {
        expectErrorEnvelope(await me(token), 401, 'UNAUTHORIZED');
      }
      const cookieMe = await request(t.url)
        .get('/api/v1/users/me')
        .set('Cookie', cookieHeader(web));
      expect(cookieMe.status).toBe(401);
      for (const token of [s.refreshToken, second.refreshToken as string]) {
        expect((await refresh(token)).status).toBe(401);
      }
      const notice = await mailTo(smtp, email, { since, subject: CHANGED_SUBJECT });
      expect(notice.text).not.toContain(fresh);
      // The code is spent.
      expectErrorEnvelope(await reset(email, otp, 'yet another passphrase 7'), 400, 'OTP_EXPIRED');
    });

    it('answers 400 OTP_INVALID for a wrong code; 5 wrong codes make the right one fail too', async () => {
      const s = await signUp();
      const { email, password } = s.credentials;
      const otp = await resetCode(email);
      const fresh = 'a brand new passphrase 43';
      for (let attempt = 1; attempt <= 4; attempt += 1) {
        expectErrorEnvelope(await reset(email, wrongCode(otp), fresh), 400, 'OTP_INVALID');
      }
      expectErrorEnvelope(await reset(email, wrongCode(otp), fresh), 400, 'OTP_ATTEMPTS_EXCEEDED');
      expectErrorEnvelope(await reset(email, otp, fresh), 400, 'OTP_ATTEMPTS_EXCEEDED');
      expect((await loginBearer(t.url, email, password)).status).toBe(200);
      expectErrorEnvelope(await loginBearer(t.url, email, fresh), 401, 'INVALID_CREDENTIALS');
    });

    it('answers 422 WEAK_PASSWORD without spending an attempt', async () => {
      const s = await signUp();
      const { email, username } = s.credentials;
      const otp = await resetCode(email);
      for (let attempt = 1; attempt <= 4; attempt += 1) {
        expectErrorEnvelope(
          await reset(email, wrongCode(otp), 'good passphrase 1'),
          400,
          'OTP_INVALID',
        );
      }
      // The username check needs the account, so it comes after the (right) code: last here.
      for (const weak of ['short7!', 'password123', email, '😀'.repeat(129), username]) {
        const error = expectErrorEnvelope(await reset(email, otp, weak), 422, 'WEAK_PASSWORD');
        expect(error.details?.[0]?.field).toBe('password');
      }
      // Four wrong codes and five weak passwords later, the fifth real attempt still succeeds.
      expect((await reset(email, otp, 'a brand new passphrase 44')).status).toBe(200);
    });

    it('gives the same answers for known and unknown emails (no account enumeration)', async () => {
      const s = await signUp();
      const unknown = newCredentials().email;
      for (const email of [s.credentials.email, unknown]) {
        expect((await forgot(email)).status).toBe(200);
      }
      // The known account's username as the new password: only the code's holder may learn it is.
      const passwords = [
        'short7!',
        'password123',
        'a brand new passphrase 45',
        s.credentials.username,
      ];
      const answers = async (email: string): Promise<string[]> => {
        const codes: string[] = [];
        for (const password of passwords) {
          const res: Response = await reset(email, '000000', password);
          codes.push(`${res.status} ${res.body.error?.code}`);
        }
        return codes;
      };
      const known = await answers(s.credentials.email);
      expect(await answers(unknown)).toEqual(known);
      expect(known).toEqual([
        '422 WEAK_PASSWORD',
        '422 WEAK_PASSWORD',
        '400 OTP_INVALID',
        '400 OTP_INVALID',
      ]);
    });

    it('answers 400 OTP_EXPIRED when no code was asked for', async () => {
      const s = await signUp();
      expectErrorEnvelope(
        await reset(s.credentials.email, '123456', 'a brand new passphrase 46'),
        400,
        'OTP_EXPIRED',
      );
    });
  });

  describe('POST /auth/change-password', () => {
    it('needs a session and the current password; checks the new one', async () => {
      const s = await signUp();
      const body = { currentPassword: s.credentials.password, newPassword: 'another passphrase 1' };
      expectErrorEnvelope(
        await request(t.url).post(`${AUTH}/change-password`).send(body),
        401,
        'UNAUTHORIZED',
      );
      expectErrorEnvelope(
        await change(s.accessToken, { ...body, currentPassword: `${s.credentials.password}x` }),
        401,
        'INVALID_CREDENTIALS',
      );
      for (const weak of ['short7!', 'password123', s.credentials.username, s.credentials.email]) {
        expectErrorEnvelope(
          await change(s.accessToken, { ...body, newPassword: weak }),
          422,
          'WEAK_PASSWORD',
        );
      }
      expect((await loginBearer(t.url, s.credentials.email, s.credentials.password)).status).toBe(
        200,
      );
    });

    it('keeps the calling session, revokes the others and mails a notice', async () => {
      const s = await signUp();
      const { email, password } = s.credentials;
      const other = (await loginBearer(t.url, email, password)).body.data.tokens;
      const since = smtp.messages.length;
      const fresh = 'another passphrase 2';

      const res = await change(s.accessToken, { currentPassword: password, newPassword: fresh });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, message: expect.any(String), data: null });
      expect(res.headers['cache-control']).toBe('no-store');

      expect((await me(s.accessToken)).status).toBe(200);
      expect((await refresh(s.refreshToken)).status).toBe(200);
      expectErrorEnvelope(await me(other.accessToken as string), 401, 'UNAUTHORIZED');
      expect((await refresh(other.refreshToken as string)).status).toBe(401);

      await mailTo(smtp, email, { since, subject: CHANGED_SUBJECT });
      expect((await loginBearer(t.url, email, fresh)).status).toBe(200);
      expectErrorEnvelope(await loginBearer(t.url, email, password), 401, 'INVALID_CREDENTIALS');
    });
  });

  describe('hostile bodies', () => {
    let session: BearerSession;
    beforeAll(async () => {
      session = await signUp();
    });
    const cases: [string, Record<string, unknown>][] = [
      ['forgot-password', { email: 'someone@example.com' }],
      [
        'reset-password',
        { email: 'someone@example.com', otp: '123456', password: 'pass phrase 9' },
      ],
      ['change-password', { currentPassword: 'pass phrase 8', newPassword: 'pass phrase 9' }],
    ];
    describe.each(cases)('on POST /auth/%s', (path, valid) => {
      it.each(hostileBodies(valid).map((b) => [b.name, b] as const))(
        'answers a clean 4xx for a %s',
        async (_name, body) => {
          const res = await request(t.url)
            .post(`${AUTH}/${path}`)
            .set('Authorization', `Bearer ${session.accessToken}`)
            .set('Content-Type', 'application/json')
            .send(body.raw);
          expectErrorEnvelope(res, body.status, body.code);
        },
      );
    });
  });
});
