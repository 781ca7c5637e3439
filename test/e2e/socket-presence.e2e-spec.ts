import type { TestApp } from '../support/app';
import { asUser, directBetween, type ChatUser } from '../support/chat';
import { startReplicas, type Replicas } from '../support/replicas';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import {
  closeAllSockets,
  closeSocket,
  connectSocket,
  nextEvent,
  noEvent,
  recordEvents,
  type ChatClient,
} from '../support/socket';
import { signUpClient } from '../support/users';
import { waitFor } from '../support/wait';
import { OFFLINE_GRACE_MS } from '../../src/modules/chat/presence.service';

interface PresenceEvent {
  userId: string;
  status: 'online' | 'offline';
  lastSeenAt: string | null;
}

/**
 * Presence over two replicas: the audience (friends and conversation peers, less blocks either
 * way) and the offline grace that keeps a reconnect, even to the other replica, from flapping.
 */
describe('socket: presence audience and offline grace', () => {
  let replicas: Replicas;
  let smtp: TestSmtpServer;
  let a: TestApp;
  let b: TestApp;

  const signUp = async (): Promise<ChatUser> =>
    asUser(a.url, (await signUpClient(a.url, smtp)).session);
  const connectTo = (app: TestApp, user: ChatUser): Promise<ChatClient> =>
    connectSocket(app.url, { token: user.session.accessToken });
  const about =
    (user: ChatUser) =>
    (p: PresenceEvent): boolean =>
      p.userId === user.id;

  /** Friends through the API: a request each way (the second one accepts the first). */
  async function befriend(x: ChatUser, y: ChatUser): Promise<void> {
    await x.post('/users/me/friend-requests', { userId: y.id }).expect(201);
    const back = await y.post('/users/me/friend-requests', { userId: x.id });
    expect([200, 201]).toContain(back.status);
    const friends = (await x.get('/users/me/friends').expect(200)).body.data as {
      user: { id: string };
    }[];
    expect(friends.map((f) => f.user.id)).toContain(y.id);
  }

  beforeAll(async () => {
    smtp = await startSmtpServer();
    replicas = await startReplicas(2, { env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    [a, b] = replicas.apps;
  });
  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await replicas?.close();
    await smtp?.stop();
  });

  it('goes to friends without a shared conversation and to peers; never to a blocked friend or a stranger', async () => {
    const [dave, friend, peer, blockedFriend, stranger] = await Promise.all(
      Array.from({ length: 5 }, signUp),
    );
    await befriend(dave, friend);
    await befriend(dave, blockedFriend);
    await blockedFriend.post('/users/me/blocks', { userId: dave.id }).expect((res) => {
      expect([200, 201]).toContain(res.status);
    });
    await directBetween(peer, dave);

    const [friendSocket, peerSocket, blockedSocket, strangerSocket] = await Promise.all([
      connectTo(a, friend),
      connectTo(b, peer),
      connectTo(a, blockedFriend),
      connectTo(b, stranger),
    ]);
    const unwanted = [blockedSocket, strangerSocket].map((s) =>
      recordEvents<PresenceEvent>(s, 'presence'),
    );
    const friendSees = nextEvent(friendSocket, 'presence', about(dave));
    const peerSees = nextEvent(peerSocket, 'presence', about(dave));
    const daveSocket = await connectTo(b, dave);
    const online = { userId: dave.id, status: 'online', lastSeenAt: expect.any(String) };
    expect(await friendSees).toEqual(online);
    expect(await peerSees).toEqual(online);

    const gone = [friendSocket, peerSocket].map((s) =>
      nextEvent(s, 'presence', about(dave), OFFLINE_GRACE_MS + 5_000),
    );
    closeSocket(daveSocket);
    for (const offline of await Promise.all(gone)) {
      expect(offline).toMatchObject({ userId: dave.id, status: 'offline' });
    }
    expect(unwanted.map((seen) => seen.filter(about(dave)))).toEqual([[], []]);
  });

  it('a reconnect within the grace, even to the other replica, announces nothing; a real disconnect announces offline once, after the grace', async () => {
    const [erin, watcher] = await Promise.all([signUp(), signUp()]);
    await befriend(erin, watcher);
    const watcherSocket = await connectTo(a, watcher);
    const cameOnline = nextEvent(watcherSocket, 'presence', about(erin));
    let erinSocket = await connectTo(a, erin);
    expect(await cameOnline).toMatchObject({ status: 'online' });

    const seen = recordEvents<PresenceEvent>(watcherSocket, 'presence');
    // Flapping: three quick reconnects, alternating replicas, like a client behind nginx.
    for (const app of [b, a, b]) {
      closeSocket(erinSocket);
      erinSocket = await connectTo(app, erin);
    }
    // Through the grace and well past it: nothing to announce, and profiles say online all along.
    const quietUntil = Date.now() + OFFLINE_GRACE_MS + 1_000;
    while (Date.now() < quietUntil) {
      const profile = await watcher.get(`/users/${erin.id}`).expect(200);
      expect(profile.body.data.status).toBe('online');
      await noEvent(watcherSocket, 'presence', 250, about(erin) as (p: unknown) => boolean);
    }
    expect(seen.filter(about(erin))).toEqual([]);

    const offline = nextEvent(watcherSocket, 'presence', about(erin), OFFLINE_GRACE_MS + 5_000);
    const closedAt = Date.now();
    closeSocket(erinSocket);
    const announced = await offline;
    const delay = Date.now() - closedAt;
    expect(announced).toEqual({
      userId: erin.id,
      status: 'offline',
      lastSeenAt: expect.any(String),
    });
    expect(delay).toBeGreaterThanOrEqual(OFFLINE_GRACE_MS - 100);
    expect(delay).toBeLessThan(OFFLINE_GRACE_MS + 2_000);
    // lastSeenAt is when the socket closed, not when the grace ended.
    const lastSeen = Date.parse(announced.lastSeenAt ?? '');
    expect(lastSeen).toBeGreaterThanOrEqual(closedAt - 100);
    expect(lastSeen).toBeLessThan(closedAt + 500);
    await noEvent(watcherSocket, 'presence', 300, about(erin) as (p: unknown) => boolean);
    expect(seen.filter(about(erin)).map((p) => p.status)).toEqual(['offline']);

    const stored = await waitFor('lastSeenAt stored', async () => {
      const res = await asUser(b.url, watcher.session).get(`/users/${erin.id}`).expect(200);
      return res.body.data.lastSeenAt === announced.lastSeenAt ? res.body.data : null;
    });
    expect(stored.status).toBe('offline');

    // Back after the grace: a fresh online.
    const again = nextEvent(watcherSocket, 'presence', about(erin));
    await connectTo(b, erin);
    expect(await again).toMatchObject({ status: 'online' });
  });
});
