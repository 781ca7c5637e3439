import { Client as PgClient } from 'pg';
import { startTestApp, type TestApp } from '../support/app';
import { asUser, clientId, directBetween } from '../support/chat';
import { decodeJwt } from '../support/jwt';
import { rawRedis } from '../support/redis';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import {
  closeAllSockets,
  connectSocket,
  disconnected,
  emitWithAck,
  nextEvent,
} from '../support/socket';
import { signUpClient, type Client } from '../support/users';
import { waitFor } from '../support/wait';

/**
 * Found by test/chaos/redis-faults.chaos-spec.ts: a socket's session was checked only at the
 * handshake, so a revocation whose disconnect broadcast was lost, or any send while Redis was
 * away, went through unchecked. Writing events now check the session like every HTTP request.
 */
describe('socket: the session is checked on every writing event', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let alice: Client;
  let bob: Client;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    [alice, bob] = await Promise.all([signUpClient(t.url, smtp), signUpClient(t.url, smtp)]);
  });
  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
    await smtp?.stop();
  });

  it('refuses message:send of a session revoked without its broadcast, and disconnects', async () => {
    const conversationId = await directBetween(
      asUser(t.url, alice.session),
      asUser(t.url, bob.session),
    );
    const socket = await connectSocket(t.url, { token: alice.session.accessToken });
    const sent = await emitWithAck(socket, 'message:send', {
      conversationId,
      clientMessageId: clientId(),
      body: 'before',
    });
    expect(sent.ok).toBe(true);

    // What a revocation stores, without the pub/sub broadcast that would disconnect the socket.
    const sid = decodeJwt(alice.session.accessToken).payload.sid as string;
    const redis = rawRedis();
    try {
      expect(await redis.del(`${t.config.redis.keyPrefix}refresh:${alice.id}:${sid}`)).toBe(1);
    } finally {
      redis.disconnect();
    }

    const revoked = nextEvent<{ sessionId: string }>(socket, 'session:revoked');
    const gone = disconnected(socket);
    const refused = await emitWithAck(socket, 'message:send', {
      conversationId,
      clientMessageId: clientId(),
      body: 'after revocation',
    });
    expect(refused).toEqual({
      ok: false,
      error: { code: 'UNAUTHORIZED', message: expect.any(String) },
    });
    expect(await revoked).toEqual({ sessionId: sid });
    expect(await gone).toBe('io server disconnect');
    const history = await asUser(t.url, bob.session)
      .get(`/conversations/${conversationId}/messages?after=0`)
      .expect(200);
    expect(history.body.data.map((m: { body: string }) => m.body)).toEqual(['before']);
  });
});

describe('socket: writing events while Redis is away', () => {
  let redis: RedisServer;
  let t: TestApp;
  let smtp: TestSmtpServer;
  let alice: Client;
  let bob: Client;

  beforeAll(async () => {
    redis = await startRedisServer();
    smtp = await startSmtpServer();
    t = await startTestApp({
      env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50', REDIS_URL: redis.url },
    });
    [alice, bob] = await Promise.all([signUpClient(t.url, smtp), signUpClient(t.url, smtp)]);
  });
  afterAll(async () => {
    closeAllSockets();
    if (redis && !redis.running) await redis.start();
    await t?.close();
    await smtp?.stop();
    await redis?.stop();
  });

  it('fail closed with DEPENDENCY_UNAVAILABLE and store nothing', async () => {
    const conversationId = await directBetween(
      asUser(t.url, alice.session),
      asUser(t.url, bob.session),
    );
    const socket = await connectSocket(t.url, { token: alice.session.accessToken });
    const id = clientId();
    await redis.stop();
    const refused = await emitWithAck(socket, 'message:send', {
      conversationId,
      clientMessageId: id,
      body: 'x',
    });
    expect(refused).toEqual({
      ok: false,
      error: { code: 'DEPENDENCY_UNAVAILABLE', message: expect.any(String) },
    });
    const read = await emitWithAck(socket, 'message:read', { conversationId, seq: 1 });
    expect(read).toMatchObject({ ok: false, error: { code: 'DEPENDENCY_UNAVAILABLE' } });

    // Sessions lived only in that (non-persistent) Redis: after the restart nobody is signed in.
    await redis.start();
    await waitFor(
      'the app to reach Redis again',
      async () => {
        return (await fetch(`${t.url}/health/ready`)).status === 200;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    const after = await emitWithAck(socket, 'message:send', {
      conversationId,
      clientMessageId: id,
      body: 'x',
    });
    expect(after).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    const sql = new PgClient({ connectionString: t.database?.url });
    await sql.connect();
    try {
      const { rows } = await sql.query('select count(*)::int as n from messages');
      expect(rows[0].n).toBe(0);
    } finally {
      await sql.end();
    }
  });
});
