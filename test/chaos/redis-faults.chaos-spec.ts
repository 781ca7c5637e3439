import { setTimeout as delay } from 'node:timers/promises';
import request from 'supertest';
import { asUser, groupOf } from '../support/chat';
import {
  Prober,
  startChaosCluster,
  statusCounts,
  verifyChatters,
  waitForCrossDelivery,
  type ChaosCluster,
} from '../support/chaos-cluster';
import { Chatter } from '../support/chatter';
import { extractOtp, sentTo } from '../support/smtp';
import { closeAllSockets, connectRefused } from '../support/socket';
import { signUpClients } from '../support/users';
import { waitFor } from '../support/wait';

const PAUSE_MS = 5_000;
const DOWN_MS = 4_000;
/** Main Redis client's commandTimeout (redis.service.ts): a paused command fails after it. */
const COMMAND_TIMEOUT_MS = 2_000;

/**
 * Redis goes away three ways while four clients chat through nginx over two replica processes:
 * CLIENT PAUSE (commands hang), CLIENT KILL TYPE pubsub (the Socket.IO adapter's subscribers drop)
 * and a restart of the redis-server process. No replica may crash; while Redis does not answer,
 * authenticated requests are refused with 503 (a logged-out token is never let through), and
 * afterwards delivery, auth and the mail queue work again with no replica restarted.
 */
describe('chaos: Redis paused, pub/sub clients killed, restarted', () => {
  let cluster: ChaosCluster;
  const chatters: Chatter[] = [];
  const probers: Prober[] = [];

  beforeAll(async () => {
    cluster = await startChaosCluster({ env: { MAIL_RETRY_BASE_MS: '200' } });
  }, 400_000);

  afterAll(async () => {
    await Promise.all(probers.map((prober) => prober.stop()));
    for (const chatter of chatters) chatter.close();
    closeAllSockets();
    if (cluster && !cluster.redis.running) await cluster.redis.start();
    await cluster?.close();
  }, 60_000);

  it('fails closed during each outage and recovers without a restart; nothing acked is lost', async () => {
    const { url } = cluster;
    const clients = await signUpClients(url, cluster.smtp, 6);
    const users = clients.map((client) => asUser(url, client.session));
    const [owner, ...rest] = users;
    const group = await groupOf(owner, rest.slice(0, 3), 'redis-chaos');
    for (const [index, user] of users.slice(0, 4).entries()) {
      const chatter = new Chatter(`r${index}`, url, user, group);
      chatters.push(chatter);
      await chatter.connect();
    }
    const probeUser = clients[4];
    // Logged out before the faults: its access token must never be accepted again.
    const revoked = clients[5];
    await revoked.post('/api/v1/auth/logout', { refreshToken: revoked.session.refreshToken });
    const valid = new Prober(`${url}/api/v1/users/me`, probeUser.session.accessToken, 100);
    const denied = new Prober(`${url}/api/v1/users/me`, revoked.session.accessToken, 100);
    probers.push(valid, denied);
    valid.start();
    denied.start();
    for (const chatter of chatters) chatter.start(50);
    await waitFor('every chatter to have 5 acks', () => chatters.every((c) => c.acked.size >= 5), {
      timeoutMs: 20_000,
    });
    const admin = cluster.redisClient();

    // 1. CLIENT PAUSE: every command of every client hangs.
    const errorAcksBefore = chatters.map((c) => c.errorAcks.length + c.ackTimeouts);
    const pausedAt = Date.now();
    await admin.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL');
    const pauseEnds = pausedAt + PAUSE_MS;
    const refusedWhilePaused = await connectRefused(url, {
      token: probeUser.session.accessToken,
      timeoutMs: 8_000,
    }).catch((error: Error) => ({ code: `accepted: ${error.message}` }));
    await delay(Math.max(0, pauseEnds - Date.now()) + 500);
    const pauseResumed = await waitFor(
      'every chatter to be acked again after the pause',
      () => chatters.every((c) => c.ackedSince(pauseEnds) >= 2),
      { timeoutMs: 20_000 },
    ).then(() => Date.now() - pauseEnds);
    const pauseErrors = chatters.map(
      (c, index) => c.errorAcks.length + c.ackTimeouts - errorAcksBefore[index],
    );
    // Requests that began after the pause and could not outlive it: all refused with 503.
    const inPause = valid.between(pausedAt + 200, pauseEnds - COMMAND_TIMEOUT_MS - 200);

    // 2. CLIENT KILL TYPE pubsub: the adapter's subscriber connections drop and must come back.
    const killedAt = Date.now();
    const killed = Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub'));
    const pubsubRecovery = await waitForCrossDelivery(chatters, killedAt, 30_000);

    // 3. The redis-server process stops (cleanly; its append-only file keeps the data) and starts.
    admin.disconnect();
    const errorsBeforeStop = chatters.map((c) => c.errorAcks.length + c.ackTimeouts);
    const stoppedAt = Date.now();
    await cluster.redis.stop();
    await delay(DOWN_MS);
    const downProbes = valid.between(stoppedAt + 200, Date.now());
    const refusedWhileDown = await connectRefused(url, {
      token: probeUser.session.accessToken,
    }).catch((error: Error) => ({ code: `accepted: ${error.message}` }));
    const downErrors = chatters.map(
      (c, index) => c.errorAcks.length + c.ackTimeouts - errorsBeforeStop[index],
    );
    await cluster.redis.start();
    const startedAt = Date.now();
    const replicasReady = await waitFor(
      'both replicas ready again',
      async () => {
        for (const replica of cluster.replicas) {
          if ((await fetch(`${replica.url}/health/ready`)).status !== 200) return false;
        }
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    ).then(() => Date.now() - startedAt);
    const deliveryBack = await waitForCrossDelivery(chatters, startedAt, 30_000);
    // Auth: the old token still works, the logged-out one still does not, and a login works.
    await waitFor(
      'the valid token to be accepted',
      async () => {
        const res = await request(url)
          .get('/api/v1/users/me')
          .set('Authorization', `Bearer ${probeUser.session.accessToken}`);
        if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
        return true;
      },
      { timeoutMs: 15_000 },
    );
    const login = await request(url)
      .post('/api/v1/auth/login')
      .set('X-Auth-Transport', 'bearer')
      .send({
        email: probeUser.session.credentials.email,
        password: probeUser.session.credentials.password,
      });
    // Queues: a registration's OTP mail goes through BullMQ on replica 0 and arrives.
    const email = `after.redis.${Date.now()}@example.com`;
    await request(url)
      .post('/api/v1/auth/register')
      .send({
        username: `after_redis_${Date.now() % 1e6}`,
        email,
        password: 'correct horse after redis',
      })
      .expect(202);
    const otp = extractOtp(await cluster.smtp.waitForMessage(sentTo(email), 30_000));
    const queueBack = Date.now() - startedAt;

    await valid.stop();
    await denied.stop();
    await Promise.all(chatters.map((chatter) => chatter.stop(30_000)));
    const report = await verifyChatters(cluster.sql, chatters);

    const summary = {
      pause: {
        errorAcksOrTimeouts: pauseErrors,
        probesInPause: statusCounts(inPause),
        socketHandshake: refusedWhilePaused.code,
        chattersAckedAgainMs: pauseResumed,
      },
      pubsubKill: { killed, crossReplicaDeliveryBackMs: pubsubRecovery },
      restart: {
        probesWhileDown: statusCounts(downProbes),
        socketHandshake: refusedWhileDown.code,
        errorAcksOrTimeouts: downErrors,
        replicasReadyMs: replicasReady,
        deliveryBackMs: deliveryBack,
        otpMailMs: queueBack,
      },
      revokedTokenAnswers: statusCounts(denied.seen),
      validTokenAnswers: statusCounts(valid.seen),
      delivery: report,
    };
    console.info(`chaos redis: ${JSON.stringify(summary)}`);

    expect(cluster.unexpectedExits()).toEqual([]);
    expect(cluster.replicas.every((replica) => replica.exits.length === 0)).toBe(true);
    expect(inPause.length).toBeGreaterThan(0);
    expect(inPause.every((probe) => probe.status === 503)).toBe(true);
    expect(downProbes.length).toBeGreaterThan(0);
    expect(downProbes.every((probe) => probe.status === 503)).toBe(true);
    expect(refusedWhilePaused.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(refusedWhileDown.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(pauseErrors.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(downErrors.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // Never a success for a logged-out token, never a 5xx other than 503, for anyone.
    expect(denied.seen.filter((probe) => probe.status < 400)).toEqual([]);
    const all = [...valid.seen, ...denied.seen];
    expect(all.filter((probe) => probe.status >= 500 && probe.status !== 503)).toEqual([]);
    expect(all.filter((probe) => probe.status === 0)).toEqual([]);
    expect(killed).toBeGreaterThanOrEqual(2);
    expect(login.status).toBe(200);
    expect(otp).toMatch(/^\d{6}$/);
    expect(report.problems).toEqual([]);
    expect(report.stored).toBeGreaterThan(0);
  }, 240_000);
});
