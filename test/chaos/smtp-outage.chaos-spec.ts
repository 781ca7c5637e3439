import { setTimeout as delay } from 'node:timers/promises';
import request from 'supertest';
import { newCredentials } from '../support/auth';
import { asUser, groupOf } from '../support/chat';
import { startChaosCluster, verifyChatters, type ChaosCluster } from '../support/chaos-cluster';
import { Chatter } from '../support/chatter';
import { extractOtp, recipientsOf, sentTo } from '../support/smtp';
import { closeAllSockets } from '../support/socket';
import { signUpClients } from '../support/users';
import { waitFor } from '../support/wait';

/** 15 s by default (the CI run); `npm run test:chaos` sets the full minute. */
const OUTAGE_MS = Number(process.env.CHAOS_SMTP_OUTAGE_MS ?? 15_000);
/**
 * The queue retries 5 times with exponential backoff from MAIL_RETRY_BASE_MS and 50 % jitter, so
 * the four waits add up to at least 7.5 × base: a base of outage / 6 outlasts the outage.
 */
const RETRY_BASE_MS = Math.ceil(OUTAGE_MS / 6);
/** The longest single backoff (the 4th) plus slack for a loaded machine. */
const DELIVERY_WITHIN_MS = 8 * RETRY_BASE_MS + 30_000;
const REGISTRATIONS = 6;
const RESETS = 3;

/**
 * The SMTP server goes away while mails are queued (registration OTPs, password-reset OTPs) and
 * clients chat: after it is back every queued mail arrives, none twice, and chat never noticed.
 */
describe(`chaos: SMTP down for ${OUTAGE_MS / 1000} s`, () => {
  let cluster: ChaosCluster;
  const chatters: Chatter[] = [];

  beforeAll(async () => {
    cluster = await startChaosCluster({ env: { MAIL_RETRY_BASE_MS: String(RETRY_BASE_MS) } });
  }, 400_000);

  afterAll(async () => {
    for (const chatter of chatters) chatter.close();
    closeAllSockets();
    await cluster?.close();
  }, 60_000);

  it('delivers every mail queued during the outage exactly once after it is back', async () => {
    const { url, smtp } = cluster;
    const clients = await signUpClients(url, smtp, 2 + RESETS);
    const users = clients.map((client) => asUser(url, client.session));
    const group = await groupOf(users[0], [users[1]], 'smtp-chaos');
    for (const [index, user] of users.slice(0, 2).entries()) {
      const chatter = new Chatter(`s${index}`, url, user, group);
      chatters.push(chatter);
      await chatter.connect();
      chatter.start(100);
    }

    await smtp.stop();
    const stoppedAt = Date.now();
    const registered = Array.from({ length: REGISTRATIONS }, () => newCredentials());
    for (const credentials of registered) {
      await request(url).post('/api/v1/auth/register').send(credentials).expect(202);
    }
    const resetEmails = clients.slice(2).map((client) => client.session.credentials.email);
    for (const email of resetEmails) {
      await request(url).post('/api/v1/auth/forgot-password').send({ email }).expect(200);
    }
    const expected = [...registered.map((c) => c.email), ...resetEmails].map((e) =>
      e.toLowerCase(),
    );
    await delay(Math.max(0, stoppedAt + OUTAGE_MS - Date.now()));
    const receivedDuringOutage = smtp.messages.length;
    const ackedDuringOutage = chatters.map((chatter) => chatter.ackedSince(stoppedAt));

    await smtp.restart();
    const restartedAt = Date.now();
    // What arrived after the restart (the reset users also got their sign-up mail before).
    const inOutage = (): typeof smtp.messages =>
      smtp.messages
        .slice(receivedDuringOutage)
        .filter((mail) => recipientsOf(mail).some((to) => expected.includes(to)));
    await waitFor(
      `all ${expected.length} queued mails to arrive`,
      () => new Set(inOutage().flatMap(recipientsOf)).size === expected.length,
      { timeoutMs: DELIVERY_WITHIN_MS, intervalMs: 200 },
    );
    const allDeliveredMs = Date.now() - restartedAt;
    // Long enough for a second send of any of them to show up.
    await delay(Math.min(10_000, 2 * RETRY_BASE_MS));
    const mails = inOutage();
    const perRecipient = new Map<string, number>();
    for (const to of mails.flatMap(recipientsOf))
      perRecipient.set(to, (perRecipient.get(to) ?? 0) + 1);
    const messageIds = mails.map((mail) => mail.messageId);
    // A late OTP still works.
    const late = registered[0];
    const otp = extractOtp(await smtp.waitForMessage(sentTo(late.email), 1_000));
    const verified = await request(url)
      .post('/api/v1/auth/verify-otp')
      .set('X-Auth-Transport', 'bearer')
      .send({ email: late.email, otp });

    await Promise.all(chatters.map((chatter) => chatter.stop(30_000)));
    const report = await verifyChatters(cluster.sql, chatters);
    console.info(
      `chaos smtp: ${JSON.stringify({
        outageMs: restartedAt - stoppedAt,
        retryBaseMs: RETRY_BASE_MS,
        queued: expected.length,
        receivedDuringOutage,
        delivered: mails.length,
        distinctMessageIds: new Set(messageIds).size,
        allDeliveredAfterRestartMs: allDeliveredMs,
        chatAckedDuringOutage: ackedDuringOutage,
        lateOtpVerify: verified.status,
        delivery: report,
      })}`,
    );

    // Nothing else arrived after the restart, and each queued mail exactly once.
    expect(smtp.messages.length - receivedDuringOutage).toBe(mails.length);
    expect(mails).toHaveLength(expected.length);
    expect([...perRecipient.values()].every((count) => count === 1)).toBe(true);
    expect(new Set(messageIds).size).toBe(expected.length);
    expect(messageIds.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(verified.status).toBe(201);
    expect(ackedDuringOutage.every((count) => count > 0)).toBe(true);
    expect(cluster.unexpectedExits()).toEqual([]);
    expect(report.problems).toEqual([]);
  }, 400_000);
});
