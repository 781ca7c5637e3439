import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import {
  countUsers,
  mailTo,
  newCredentials,
  extractOtp,
  register,
  type Credentials,
} from '../support/auth';
import { expectErrorEnvelope } from '../support/envelope';
import { rawRedis } from '../support/redis';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { waitFor } from '../support/wait';

const VERIFY = '/api/v1/auth/verify-otp';

/** A valid code that is not `otp`. */
const wrongCode = (otp: string): string => String((Number(otp) + 1) % 1_000_000).padStart(6, '0');

/** The registration OTP: wrong codes, attempts, expiry, malformed input and races. */
describe('auth: registration OTP', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let databaseUrl: string;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    databaseUrl = t.database!.url;
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  /** Registers fresh credentials and returns them with the mailed code. */
  const pending = async (
    overrides: Partial<Credentials> = {},
  ): Promise<Credentials & { otp: string }> => {
    const c = newCredentials(overrides);
    const res = await register(t.url, c);
    expect(res.status).toBe(202);
    return { ...c, otp: extractOtp(await mailTo(smtp, c.email)) };
  };

  const verify = (email: string, otp: unknown): request.Test =>
    request(t.url).post(VERIFY).set('X-Auth-Transport', 'bearer').send({ email, otp });

  it('answers 400 OTP_INVALID for a wrong code and still takes the right one afterwards', async () => {
    const p = await pending();
    const res = await verify(p.email, wrongCode(p.otp));
    const error = expectErrorEnvelope(res, 400, 'OTP_INVALID');
    expect(error.message).toMatch(/4 tries left/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(await countUsers(databaseUrl, p.email)).toBe(0);
    expect((await verify(p.email, p.otp)).status).toBe(201);
  });

  it('discards the registration after 5 wrong codes: the right code fails afterwards', async () => {
    const p = await pending();
    const bad = wrongCode(p.otp);
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      expectErrorEnvelope(await verify(p.email, bad), 400, 'OTP_INVALID');
    }
    expectErrorEnvelope(await verify(p.email, bad), 400, 'OTP_ATTEMPTS_EXCEEDED');
    expectErrorEnvelope(await verify(p.email, p.otp), 400, 'OTP_ATTEMPTS_EXCEEDED');
    expect(await countUsers(databaseUrl, p.email)).toBe(0);
  });

  it('counts concurrent wrong codes atomically: 10 at once use up every attempt', async () => {
    const p = await pending();
    const bad = wrongCode(p.otp);
    const answers = await Promise.all(Array.from({ length: 10 }, () => verify(p.email, bad)));
    const codes = answers.map((res) => res.body.error.code as string);
    expect(codes.filter((code) => code === 'OTP_INVALID')).toHaveLength(4);
    expect(codes.filter((code) => code === 'OTP_ATTEMPTS_EXCEEDED')).toHaveLength(6);
    expectErrorEnvelope(await verify(p.email, p.otp), 400, 'OTP_ATTEMPTS_EXCEEDED');
    expect(await countUsers(databaseUrl, p.email)).toBe(0);
  });

  it('answers 400 OTP_EXPIRED for an email with no pending registration', async () => {
    expectErrorEnvelope(await verify(newCredentials().email, '123456'), 400, 'OTP_EXPIRED');
  });

  it('answers 400 OTP_EXPIRED once the pending registration has expired', async () => {
    const p = await pending();
    const redis = rawRedis();
    try {
      const key = `${t.config.redis.keyPrefix}register:${p.email}`;
      expect(await redis.pexpire(key, 1)).toBe(1);
      await waitFor(
        'the pending registration to expire',
        async () => (await redis.exists(key)) === 0,
      );
    } finally {
      redis.disconnect();
    }
    expectErrorEnvelope(await verify(p.email, p.otp), 400, 'OTP_EXPIRED');
    expect(await countUsers(databaseUrl, p.email)).toBe(0);
  });

  it('answers 400 OTP_EXPIRED for a code that was already used', async () => {
    const p = await pending();
    expect((await verify(p.email, p.otp)).status).toBe(201);
    expectErrorEnvelope(await verify(p.email, p.otp), 400, 'OTP_EXPIRED');
  });

  it('rejects malformed codes with 422 without spending an attempt', async () => {
    const p = await pending();
    const malformed: unknown[] = [
      '12345',
      '1234567',
      'abcdef',
      1234567,
      123456,
      '١٢٣٤٥٦', // Arabic-Indic digits are not ASCII digits
      ' 123456',
      '12 456',
      null,
      ['123456'],
    ];
    for (const otp of malformed) {
      const error = expectErrorEnvelope(await verify(p.email, otp), 422, 'VALIDATION_FAILED');
      expect(error.details?.map((d) => d.field)).toContain('otp');
    }
    // Ten malformed tries later, the right code still works: none of them counted.
    expect((await verify(p.email, p.otp)).status).toBe(201);
  });

  it('creates exactly one account when the right code is verified concurrently', async () => {
    const p = await pending();
    const answers = await Promise.all(Array.from({ length: 5 }, () => verify(p.email, p.otp)));
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    for (const res of answers.filter((a) => a.status !== 201)) {
      expectErrorEnvelope(res, 400, 'OTP_EXPIRED');
    }
    expect(await countUsers(databaseUrl, p.email)).toBe(1);
  });

  it('lets only one of two pending registrations of the same username win the race', async () => {
    const first = await pending();
    const second = await pending({ username: first.username.toUpperCase() });
    const [a, b] = await Promise.all([
      verify(first.email, first.otp),
      verify(second.email, second.otp),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    expectErrorEnvelope(a.status === 409 ? a : b, 409, 'USERNAME_TAKEN');
    expect(await countUsers(databaseUrl, first.username)).toBe(1);
  });

  it('binds the code to its email: the right code for another address is refused', async () => {
    const one = await pending();
    const other = await pending();
    if (one.otp === other.otp) return; // a one-in-a-million coincidence: nothing to tell apart
    expectErrorEnvelope(await verify(other.email, one.otp), 400, 'OTP_INVALID');
    expect((await verify(one.email, one.otp)).status).toBe(201);
    expect((await verify(other.email, other.otp)).status).toBe(201);
  });
});
