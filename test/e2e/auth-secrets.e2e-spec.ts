import type Redis from 'ioredis';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import {
  ALLOWED_ORIGIN,
  cookiesFrom,
  loginBearer,
  loginCookie,
  mailTo,
  newCredentials,
  extractOtp,
  register,
} from '../support/auth';
import { keysUnder, rawRedis } from '../support/redis';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { waitFor } from '../support/wait';

const AUTH = '/api/v1/auth';

/** Every key under `prefix` with its whole value, read by type; one line per key. */
async function dumpRedis(redis: Redis, prefix: string): Promise<{ keys: string[]; text: string }> {
  const keys = await keysUnder(redis, prefix);
  const lines: string[] = [];
  for (const key of keys) {
    const type = await redis.type(key);
    let values: string[];
    switch (type) {
      case 'none':
        continue; // expired while we looked
      case 'string':
        values = [(await redis.get(key)) ?? ''];
        break;
      case 'hash':
        values = Object.entries(await redis.hgetall(key)).flat();
        break;
      case 'list':
        values = await redis.lrange(key, 0, -1);
        break;
      case 'set':
        values = await redis.smembers(key);
        break;
      case 'zset':
        values = await redis.zrange(key, 0, -1, 'WITHSCORES');
        break;
      case 'stream':
        values = (await redis.xrange(key, '-', '+')).flatMap(([id, fields]) => [id, ...fields]);
        break;
      default:
        throw new Error(`key ${key} has an unexpected type ${type}`);
    }
    lines.push([`${key} (${type})`, ...values].join('\n  '));
  }
  return { keys, text: lines.join('\n') };
}

/** Secrets that must never be stored or logged in the clear. */
class Secrets {
  readonly otps = new Set<string>();
  readonly strings = new Set<string>();

  addToken(token: string): void {
    this.strings.add(token);
    this.strings.add(token.split('.')[2]); // the signature alone is as unique as the token
  }

  /** The secrets found in `text` (an OTP only as a whole number, not inside a longer digit run). */
  foundIn(text: string): string[] {
    const otps = [...this.otps].filter((otp) => new RegExp(`(?<!\\d)${otp}(?!\\d)`).test(text));
    return [...otps, ...[...this.strings].filter((secret) => text.includes(secret))];
  }
}

/** OTP / secrecy points of issue #3: Redis and the logs never hold a code, a password or a token. */
describe('auth: secrets at rest and in logs', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let redis: Redis;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({
      env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' },
      captureLogs: true,
    });
    redis = rawRedis();
  });

  afterAll(async () => {
    redis?.disconnect();
    await t?.close();
    await smtp?.stop();
  });

  const dump = (): Promise<{ keys: string[]; text: string }> =>
    dumpRedis(redis, t.config.redis.keyPrefix);

  it('stores no OTP, password or token in Redis (app keys and BullMQ) and logs none', async () => {
    const secrets = new Secrets();
    const c = newCredentials();
    const passwords = [c.password, 'second passphrase 77', 'third passphrase 88'];
    for (const password of passwords) secrets.strings.add(password);
    const bearer = (req: request.Test): request.Test => req.set('X-Auth-Transport', 'bearer');
    const prefix = t.config.redis.keyPrefix;

    // Refused inputs carry passwords too; neither the answer nor the logs may echo them.
    const weakPassword = 'password123';
    secrets.strings.add(weakPassword);
    const typoPassword = 'refused passphrase 99';
    secrets.strings.add(typoPassword);
    const refused = await register(t.url, { ...c, email: 'not-an-email', password: typoPassword });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.body)).not.toContain(typoPassword);
    const weak = await register(t.url, { ...c, password: weakPassword });
    expect(weak.status).toBe(422);

    // Register: the pending record and the queued mail job exist now.
    expect((await register(t.url, c)).status).toBe(202);
    const pending = await dump();
    expect(pending.keys).toContain(`${prefix}register:${c.email}`);
    expect(pending.keys.some((key) => key.startsWith(`${prefix}bull:mail:`))).toBe(true);
    expect(pending.text).toMatch(/\$2[aby]\$04\$/); // the bcrypt hash, never the password
    const registrationOtp = extractOtp(await mailTo(smtp, c.email));
    secrets.otps.add(registrationOtp);
    const wrong = String((Number(registrationOtp) + 1) % 1_000_000).padStart(6, '0');
    expect(
      (await bearer(request(t.url).post(`${AUTH}/verify-otp`)).send({ email: c.email, otp: wrong }))
        .status,
    ).toBe(400);
    expect(secrets.foundIn(pending.text)).toEqual([]);

    // Verify, sign in three ways, refresh.
    const verified = await bearer(request(t.url).post(`${AUTH}/verify-otp`)).send({
      email: c.email,
      otp: registrationOtp,
    });
    expect(verified.status).toBe(201);
    const first = verified.body.data.tokens;
    const second = (await loginBearer(t.url, c.username, c.password)).body.data.tokens;
    const web = cookiesFrom(await loginCookie(t.url, c.email, c.password));
    const rotated = (
      await bearer(request(t.url).post(`${AUTH}/refresh`)).send({
        refreshToken: first.refreshToken,
      })
    ).body.data.tokens;
    const webRotated = await request(t.url)
      .post(`${AUTH}/refresh`)
      .set('Origin', ALLOWED_ORIGIN)
      .set('Cookie', `refresh_token=${web.refresh_token}`)
      .send({});
    expect(webRotated.status).toBe(200);
    const tokens = [first, second, rotated].flatMap((pair) => [
      pair.accessToken,
      pair.refreshToken,
    ]);
    tokens.push(...Object.values(web), ...Object.values(cookiesFrom(webRotated)));
    for (const token of tokens) secrets.addToken(token as string);

    // Forgot and reset: the pending reset record exists now.
    let since = smtp.messages.length;
    expect(
      (await request(t.url).post(`${AUTH}/forgot-password`).send({ email: c.email })).status,
    ).toBe(200);
    const resetting = await dump();
    expect(resetting.keys).toContain(`${prefix}reset:${c.email}`);
    const resetOtp = extractOtp(await mailTo(smtp, c.email, { since, subject: /^Reset/ }));
    secrets.otps.add(resetOtp);
    since = smtp.messages.length;
    const reset = await request(t.url)
      .post(`${AUTH}/reset-password`)
      .send({ email: c.email, otp: resetOtp, password: passwords[1] });
    expect(reset.status).toBe(200);
    await mailTo(smtp, c.email, { since, subject: /changed$/ });

    // Change the password from a fresh session.
    const third = (await loginBearer(t.url, c.email, passwords[1])).body.data.tokens;
    secrets.addToken(third.accessToken as string);
    secrets.addToken(third.refreshToken as string);
    since = smtp.messages.length;
    const changed = await request(t.url)
      .post(`${AUTH}/change-password`)
      .set('Authorization', `Bearer ${third.accessToken}`)
      .send({ currentPassword: passwords[1], newPassword: passwords[2] });
    expect(changed.status).toBe(200);
    await mailTo(smtp, c.email, { since, subject: /changed$/ });
    const fourth = (await loginBearer(t.url, c.email, passwords[2])).body.data.tokens;
    secrets.addToken(fourth.accessToken as string);
    secrets.addToken(fourth.refreshToken as string);

    // Every mail job has finished and left its record (BullMQ keeps completed jobs for an hour).
    await waitFor('the mail queue to drain', async () => {
      const [waiting, delayed, active] = await Promise.all([
        redis.llen(`${prefix}bull:mail:wait`),
        redis.zcard(`${prefix}bull:mail:delayed`),
        redis.llen(`${prefix}bull:mail:active`),
      ]);
      return waiting + delayed + active === 0;
    });
    // Positive controls: the scanner does find these secrets where they belong.
    expect(secrets.foundIn(JSON.stringify(verified.body))).toHaveLength(4); // 2 tokens × 2 forms
    expect(secrets.foundIn(smtp.messages.map((mail) => mail.text).join('\n'))).toEqual([
      registrationOtp,
      resetOtp,
    ]);

    const end = await dump();
    expect(end.keys.filter((key) => key.startsWith(`${prefix}refresh:`)).length).toBeGreaterThan(0);
    expect(end.keys).toContain(`${prefix}bull:mail:completed`);
    for (const snapshot of [pending, resetting, end]) {
      expect(secrets.foundIn(snapshot.text)).toEqual([]);
    }

    // The logs saw all of this, at debug level, and hold none of it.
    const logs = t.logs!.text();
    expect(logs).toContain('account created');
    expect(logs).toContain('/api/v1/auth/reset-password');
    expect(logs).toMatch(/sent registration-otp mail/);
    expect(secrets.foundIn(logs)).toEqual([]);
  });
});
