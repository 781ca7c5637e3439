import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { signUpBearer, loginBearer } from '../support/auth';
import { extractOtp, sentTo, startSmtpServer, type TestSmtpServer } from '../support/smtp';

describe('auth smoke', () => {
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

  it('registers, verifies, reads /users/me, refreshes and logs out', async () => {
    const readOtp = async (email: string) =>
      extractOtp(await smtp.waitForMessage(sentTo(email), 10_000));
    const s = await signUpBearer(t.url, readOtp);
    const me = await request(t.url)
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${s.accessToken}`)
      .expect(200);
    expect(me.body.data.email).toBe(s.credentials.email);
    const login = await loginBearer(t.url, s.credentials.username, s.credentials.password);
    expect(login.status).toBe(200);
    const refreshed = await request(t.url)
      .post('/api/v1/auth/refresh')
      .set('X-Auth-Transport', 'bearer')
      .send({ refreshToken: s.refreshToken });
    expect(refreshed.status).toBe(200);
    const out = await request(t.url)
      .post('/api/v1/auth/logout')
      .set('Authorization', `Bearer ${s.accessToken}`)
      .send({});
    expect(out.status).toBe(200);
    await request(t.url)
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${s.accessToken}`)
      .expect(401);
  });
});
