import request from 'supertest';
import type { TestApp } from '../support/app';
import { loginBearer } from '../support/auth';
import { asUser, clientId, directBetween, type ChatUser } from '../support/chat';
import { decodeJwt } from '../support/jwt';
import { startNginx, type Nginx } from '../support/nginx';
import { rawRedis } from '../support/redis';
import { startReplicas, type Replicas } from '../support/replicas';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import {
  closeAllSockets,
  closeSocket,
  connectSocket,
  disconnected,
  emitWithAck,
  nextEvent,
  noEvent,
  type ChatClient,
} from '../support/socket';
import { signUpClient } from '../support/users';
import { waitFor } from '../support/wait';
import { PresenceService } from '../../src/modules/chat/presence.service';
import { WsServer } from '../../src/modules/chat/ws-server';

interface MessageEvent {
  id: string;
  conversationId: string;
  seq: number;
  clientMessageId: string;
  body: string | null;
}
interface PresenceEvent {
  userId: string;
  status: 'online' | 'offline';
  lastSeenAt: string | null;
}

/**
 * Two API replicas (separate Nest apps, one PostgreSQL database, one Redis prefix) behind a real
 * nginx: whatever a socket on one replica should get because of something done on the other
 * travels through Redis, never through memory.
 */
describe('scale-out: two replicas behind nginx', () => {
  let replicas: Replicas;
  let nginx: Nginx;
  let smtp: TestSmtpServer;
  let a: TestApp;
  let b: TestApp;
  let alice: ChatUser;
  let bob: ChatUser;
  let direct: string;

  /** Which replica holds this client's socket (the client's id is the server's socket id). */
  const replicaOf = (socket: ChatClient): 'a' | 'b' | undefined => {
    const holds = (app: TestApp): boolean =>
      socket.id !== undefined &&
      (app.app.get(WsServer).attached?.sockets.sockets.has(socket.id) ?? false);
    return holds(a) ? 'a' : holds(b) ? 'b' : undefined;
  };
  const connectTo = (app: TestApp | Nginx, user: ChatUser): Promise<ChatClient> =>
    connectSocket(app.url, { token: user.session.accessToken });

  beforeAll(async () => {
    smtp = await startSmtpServer();
    replicas = await startReplicas(2, { env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    [a, b] = replicas.apps;
    nginx = await startNginx([new URL(a.url).port, new URL(b.url).port].map(Number));
    // Sign-ups go through nginx too: any replica may serve any request.
    const signUp = async (): Promise<ChatUser> =>
      asUser(nginx.url, (await signUpClient(nginx.url, smtp)).session);
    [alice, bob] = await Promise.all([signUp(), signUp()]);
    direct = await directBetween(alice, bob);
  });
  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await nginx?.stop();
    await replicas?.close();
    await smtp?.stop();
  });

  it('clients connected through nginx land on different replicas and still talk to each other', async () => {
    const aliceSocket = await connectTo(nginx, alice);
    const bobSocket = await connectTo(nginx, bob);
    const placed = [replicaOf(aliceSocket), replicaOf(bobSocket)];
    expect(placed.sort()).toEqual(['a', 'b']); // round robin over the two upstreams

    const clientMessageId = clientId('lb');
    const arrived = nextEvent<MessageEvent>(
      bobSocket,
      'message:new',
      (m) => m.clientMessageId === clientMessageId,
    );
    const reply = await emitWithAck<MessageEvent>(aliceSocket, 'message:send', {
      conversationId: direct,
      clientMessageId,
      body: 'through nginx',
    });
    expect(reply.ok).toBe(true);
    if (!reply.ok) throw new Error('unreachable');
    expect(await arrived).toEqual(reply.data);
  });

  it('message:new, receipt:read and typing cross from replica A to replica B and back', async () => {
    const aliceSocket = await connectTo(a, alice);
    const bobSocket = await connectTo(b, bob);
    expect([replicaOf(aliceSocket), replicaOf(bobSocket)]).toEqual(['a', 'b']);

    const clientMessageId = clientId('ab');
    const arrived = nextEvent<MessageEvent>(
      bobSocket,
      'message:new',
      (m) => m.clientMessageId === clientMessageId,
    );
    const echo = nextEvent<MessageEvent>(
      aliceSocket,
      'message:new',
      (m) => m.clientMessageId === clientMessageId,
    );
    const sent = await emitWithAck<MessageEvent>(aliceSocket, 'message:send', {
      conversationId: direct,
      clientMessageId,
      body: 'from A to B',
    });
    if (!sent.ok) throw new Error(`send failed: ${JSON.stringify(sent)}`);
    expect(await arrived).toEqual(sent.data);
    expect(await echo).toEqual(sent.data);

    const receipt = nextEvent(
      aliceSocket,
      'receipt:read',
      (r: { userId: string }) => r.userId === bob.id,
    );
    expect(
      await emitWithAck(bobSocket, 'message:read', { conversationId: direct, seq: sent.data.seq }),
    ).toEqual({
      ok: true,
      data: { lastReadSeq: sent.data.seq },
    });
    expect(await receipt).toEqual({ conversationId: direct, userId: bob.id, seq: sent.data.seq });

    const typing = nextEvent(bobSocket, 'typing', (p: { isTyping: boolean }) => p.isTyping);
    await emitWithAck(aliceSocket, 'typing:start', { conversationId: direct });
    expect(await typing).toEqual({ conversationId: direct, userId: alice.id, isTyping: true });
    const stopped = nextEvent(bobSocket, 'typing', (p: { isTyping: boolean }) => !p.isTyping);
    await emitWithAck(aliceSocket, 'typing:stop', { conversationId: direct });
    expect(await stopped).toEqual({ conversationId: direct, userId: alice.id, isTyping: false });

    // A REST send on replica B reaches the socket on replica A.
    const viaRest = nextEvent<MessageEvent>(
      aliceSocket,
      'message:new',
      (m) => m.body === 'REST on B',
    );
    await asUser(b.url, bob.session)
      .post(`/conversations/${direct}/messages`, { clientMessageId: clientId(), body: 'REST on B' })
      .expect(201);
    await viaRest;
  });

  it('presence: online while any socket on any replica is connected, offline after the last', async () => {
    const carol = asUser(nginx.url, (await signUpClient(nginx.url, smtp)).session);
    await directBetween(carol, alice);
    const watcher = await connectTo(a, alice);
    const statusOnEach = async (): Promise<string[]> =>
      Promise.all(
        [a, b].map(
          async (app) =>
            (await app.app.get(PresenceService).statusOf([carol.id])).get(carol.id) ?? '?',
        ),
      );

    const online = nextEvent<PresenceEvent>(watcher, 'presence', (p) => p.userId === carol.id);
    const onB = await connectTo(b, carol);
    expect(await online).toMatchObject({ userId: carol.id, status: 'online' });
    const onA = await connectTo(a, carol);
    expect([replicaOf(onA), replicaOf(onB)]).toEqual(['a', 'b']);
    expect(await statusOnEach()).toEqual(['online', 'online']);

    closeSocket(onB); // the first one, on B: carol is still online through A
    await noEvent(watcher, 'presence', 400, (p) => (p as PresenceEvent).userId === carol.id);
    expect(await statusOnEach()).toEqual(['online', 'online']);

    const offline = nextEvent<PresenceEvent>(watcher, 'presence', (p) => p.userId === carol.id);
    closeSocket(onA);
    expect(await offline).toMatchObject({
      userId: carol.id,
      status: 'offline',
      lastSeenAt: expect.any(String),
    });
    expect(await statusOnEach()).toEqual(['offline', 'offline']);
    const profile = await waitFor('last seen stored', async () => {
      const res = await asUser(b.url, alice.session).get(`/users/${carol.id}`).expect(200);
      return res.body.data.lastSeenAt ? res.body.data : null;
    });
    expect(profile.status).toBe('offline');
  });

  it('presence: the sockets of a replica that died expire, and a surviving replica announces offline once', async () => {
    const dave = asUser(nginx.url, (await signUpClient(nginx.url, smtp)).session);
    await directBetween(dave, alice);
    const watcher = await connectTo(b, alice);
    // What a replica that was SIGKILLed leaves behind: a socket entry whose heartbeat stopped.
    const redis = rawRedis();
    try {
      const past = Date.now() - 1_000;
      await redis.zadd(
        `${replicas.keyPrefix}presence:${dave.id}`,
        past,
        'socket-of-a-dead-replica',
      );
      await redis.zadd(`${replicas.keyPrefix}presence:users`, past, dave.id);
    } finally {
      redis.disconnect();
    }
    const offline = nextEvent<PresenceEvent>(watcher, 'presence', (p) => p.userId === dave.id);
    const seen: PresenceEvent[] = [];
    watcher.on('presence', (p: PresenceEvent) => {
      if (p.userId === dave.id) seen.push(p);
    });
    // Both replicas sweep (as their timers would): exactly one claims the transition.
    await Promise.all([a, b].map((app) => app.app.get(PresenceService).sweepExpired()));
    expect(await offline).toMatchObject({ userId: dave.id, status: 'offline' });
    await noEvent(watcher, 'presence', 300, (p) => (p as PresenceEvent).userId === dave.id);
    expect(seen).toHaveLength(1);
  });

  it("DELETE /auth/sessions/:id on replica A disconnects that session's socket on replica B, session:revoked first", async () => {
    const phone = await loginBearer(
      a.url,
      bob.session.credentials.email,
      bob.session.credentials.password,
    );
    expect(phone.status).toBe(200);
    const phoneToken = phone.body.data.tokens.accessToken as string;
    const phoneSession = decodeJwt(phoneToken).payload.sid as string;
    const onB = await connectSocket(b.url, { token: phoneToken });
    const keep = await connectTo(a, bob); // another session of bob, on A: untouched
    expect([replicaOf(onB), replicaOf(keep)]).toEqual(['b', 'a']);
    const order: string[] = [];
    onB.on('session:revoked', (p) => order.push(`session:revoked:${p.sessionId}`));
    onB.on('disconnect', (reason) => order.push(`disconnect:${reason}`));
    const gone = disconnected(onB);

    await request(a.url)
      .delete(`/api/v1/auth/sessions/${phoneSession}`)
      .set('Authorization', `Bearer ${bob.session.accessToken}`)
      .expect(200);

    expect(await gone).toBe('io server disconnect');
    expect(order).toEqual([`session:revoked:${phoneSession}`, 'disconnect:io server disconnect']);
    expect(keep.connected).toBe(true);
  });
});
