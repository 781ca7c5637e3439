import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { ALLOWED_ORIGIN } from '../support/auth';
import { asUser, clientId, directBetween, type ChatUser } from '../support/chat';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { rawRedis } from '../support/redis';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import {
  closeAllSockets,
  connectSocket,
  disconnected,
  emitWithAck,
  nextEvent,
} from '../support/socket';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { signUpClient } from '../support/users';
import { waitFor } from '../support/wait';

describe('socket: dependency outage, CORS and shutdown', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let smtp: TestSmtpServer;
  let t: TestApp;
  let alice: ChatUser;
  let bob: ChatUser;
  let direct: string;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    database = await createTestDatabase();
    const viaProxy = new URL(database.url);
    proxy = await startTcpProxy({ host: viaProxy.hostname, port: Number(viaProxy.port || 5432) });
    viaProxy.port = String(proxy.port);
    t = await startTestApp({
      env: {
        DATABASE_URL: viaProxy.toString(),
        DATABASE_MIGRATE_ON_START: 'false',
        SMTP_URL: smtp.url,
        MAIL_RETRY_BASE_MS: '50',
      },
    });
    const signUp = async (): Promise<ChatUser> =>
      asUser(t.url, (await signUpClient(t.url, smtp)).session);
    [alice, bob] = await Promise.all([signUp(), signUp()]);
    direct = await directBetween(alice, bob);
  });
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
    await proxy?.close();
    await database?.drop();
    await smtp?.stop();
  });

  it('answers DEPENDENCY_UNAVAILABLE while PostgreSQL is away, keeps the socket, and works again after', async () => {
    const socket = await connectSocket(t.url, { token: alice.session.accessToken });
    await proxy.cut();
    try {
      const reply = await emitWithAck(
        socket,
        'message:send',
        { conversationId: direct, clientMessageId: clientId(), body: 'during the outage' },
        10_000,
      );
      expect(reply).toEqual({
        ok: false,
        error: { code: 'DEPENDENCY_UNAVAILABLE', message: expect.any(String) },
      });
      expect(JSON.stringify(reply)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|select|insert/i);
      expect(socket.connected).toBe(true);
    } finally {
      await proxy.restore();
    }
    const again = await waitFor(
      'message:send to work again',
      async () => {
        const reply = await emitWithAck(socket, 'message:send', {
          conversationId: direct,
          clientMessageId: clientId(),
          body: 'after the outage',
        });
        return reply.ok ? reply : null;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    expect(again).toMatchObject({ ok: true, data: { body: 'after the outage' } });
  });

  it('the polling transport answers CORS for allowed origins only, with credentials', async () => {
    const allowed = await request(t.url)
      .get('/socket.io/?EIO=4&transport=polling')
      .set('Origin', ALLOWED_ORIGIN);
    expect(allowed.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    const foreign = await request(t.url)
      .get('/socket.io/?EIO=4&transport=polling')
      .set('Origin', 'https://evil.example');
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('app.close() takes its sockets out of presence, closes them and the adapter connections', async () => {
    const requestChannel = `${t.config.redis.keyPrefix}socket.io-request#/#`;
    const redis = rawRedis();
    try {
      const subscribers = async (): Promise<number> =>
        Number(((await redis.pubsub('NUMSUB', requestChannel)) as [string, number])[1]);
      expect(await subscribers()).toBe(1);
      const bobSocket = await connectSocket(t.url, { token: bob.session.accessToken });
      const aliceSocket = await connectSocket(t.url, { token: alice.session.accessToken });
      await waitFor(
        'bob online',
        async () => (await redis.zcard(`${t.config.redis.keyPrefix}presence:${bob.id}`)) === 1,
      );
      const offline = nextEvent(
        aliceSocket,
        'presence',
        (p: { userId: string; status: string }) => p.userId === bob.id && p.status === 'offline',
      );
      const gone = disconnected(bobSocket);
      const started = Date.now();
      await t.close();
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await offline).toMatchObject({ userId: bob.id, status: 'offline' });
      expect(await gone).toBe('transport close');
      expect(await subscribers()).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});
