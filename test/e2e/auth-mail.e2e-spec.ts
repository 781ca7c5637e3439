import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { mailTo, mailsTo, newCredentials, extractOtp, register } from '../support/auth';
import { keysUnder, rawRedis } from '../support/redis';
import { recipientsOf, startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { waitFor } from '../support/wait';

/** Issue #3 point 10: the OTP mail leaves through a queue, so SMTP is never on the request path. */
describe('auth: registration mail', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    // Retries after ~200 ms × 2^n (jittered, 5 attempts): a short outage is ridden out, not given up on.
    t = await startTestApp({
      env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '200' },
      captureLogs: true,
    });
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  afterEach(async () => {
    smtp.setDelay(0);
    await smtp.restart();
  });

  const verify = (email: string, otp: string): request.Test =>
    request(t.url)
      .post('/api/v1/auth/verify-otp')
      .set('X-Auth-Transport', 'bearer')
      .send({ email, otp });

  /** How many mails the worker has recorded as sent (`mail:sent:<jobId>` markers). */
  const sentMarkers = async (): Promise<number> => {
    const redis = rawRedis();
    try {
      return (await keysUnder(redis, `${t.config.redis.keyPrefix}mail:sent:`)).length;
    } finally {
      redis.disconnect();
    }
  };

  it('mails the code to the registering address, in the text and the HTML part', async () => {
    const c = newCredentials();
    expect((await register(t.url, { ...c, email: c.email.toUpperCase() })).status).toBe(202);
    const mail = await mailTo(smtp, c.email);
    expect(recipientsOf(mail)).toEqual([c.email]);
    expect(mail.subject).toBe(`Verify your email for ${t.config.mail.appName}`);
    expect(mail.from?.text).toContain(t.config.mail.from.replace(/^.*</, '').replace(/>$/, ''));
    const otp = extractOtp(mail);
    expect(mail.text).toContain(c.username);
    expect(typeof mail.html).toBe('string');
    expect(mail.html as string).toMatch(new RegExp(`>\\s*${otp}\\s*<`));
    expect((await verify(c.email, otp)).status).toBe(201);
  });

  it('answers /register without waiting for a slow SMTP server; the mail still arrives', async () => {
    smtp.setDelay(2_000);
    const c = newCredentials();
    const started = Date.now();
    const res = await register(t.url, c);
    const answeredIn = Date.now() - started;
    expect(res.status).toBe(202);
    expect(answeredIn).toBeLessThan(1_000);
    const mail = await mailTo(smtp, c.email, { timeoutMs: 15_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect((await verify(c.email, extractOtp(mail))).status).toBe(201);
  });

  it('delivers the code exactly once after an SMTP outage ends (same port)', async () => {
    const port = smtp.port;
    await smtp.stop();
    const c = newCredentials();
    const markersBefore = await sentMarkers();
    const started = Date.now();
    expect((await register(t.url, c)).status).toBe(202);
    expect(Date.now() - started).toBeLessThan(1_000);

    // The first delivery attempt has failed and a retry is scheduled.
    await waitFor('a failed mail attempt', () =>
      t.logs!.lines.some((line) => /registration-otp mail .* failed \(attempt 1\/5/.test(line)),
    );
    expect(mailsTo(smtp, c.email)).toHaveLength(0);

    await smtp.restart();
    expect(smtp.port).toBe(port);
    const mail = await mailTo(smtp, c.email, { timeoutMs: 15_000 });
    // The worker recorded the send: nothing for this job is left to run.
    await waitFor('the sent marker', async () => (await sentMarkers()) > markersBefore);
    const redis = rawRedis();
    try {
      const prefix = `${t.config.redis.keyPrefix}bull:mail:`;
      await waitFor('the queue to drain', async () => {
        const [waiting, delayed, active] = await Promise.all([
          redis.llen(`${prefix}wait`),
          redis.zcard(`${prefix}delayed`),
          redis.llen(`${prefix}active`),
        ]);
        return waiting + delayed + active === 0;
      });
    } finally {
      redis.disconnect();
    }
    expect(mailsTo(smtp, c.email)).toHaveLength(1);
    expect((await verify(c.email, extractOtp(mail))).status).toBe(201);
  });
});
