import { PRESENCE_TTL_MS } from '../../src/modules/chat/presence.service';
import { asUser, groupOf, type ChatUser } from '../support/chat';
import { Chatter, type StoredMessage } from '../support/chatter';
import { startChildReplicas, type ChildReplicas } from '../support/child-replicas';
import { startNginx, type Nginx } from '../support/nginx';
import { keysUnder, rawRedis } from '../support/redis';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { closeAllSockets, connectSocket, type ChatClient } from '../support/socket';
import { signUpClients } from '../support/users';
import { waitFor } from '../support/wait';

/** presence.service.ts sweeps for expired sockets every 10 s plus up to 2 s of jitter (SWEEP_MS). */
const SWEEP_MAX_MS = 12_000;
/** Event-loop and delivery latency on a busy 2-CPU machine. */
const SLACK_MS = 3_000;
/** Offline must be announced this long after the kill at the latest: the TTL, then one sweep. */
const OFFLINE_WITHIN_MS = PRESENCE_TTL_MS + SWEEP_MAX_MS + SLACK_MS;
const SEND_INTERVAL_MS = 20;

/** The whole history, oldest first, paged with after=<seq>. */
async function historyOf(user: ChatUser, conversationId: string): Promise<StoredMessage[]> {
  const all: StoredMessage[] = [];
  for (let page = 0; page < 1_000; page += 1) {
    const after = all.length === 0 ? 0 : all[all.length - 1].seq;
    const res = await user
      .get(`/conversations/${conversationId}/messages?after=${after}&limit=100`)
      .expect(200);
    all.push(...(res.body.data as StoredMessage[]));
    if (res.body.page.nextCursor === null) return all;
  }
  throw new Error('history longer than 1000 pages');
}

/** When the user's last socket entry in Redis expires (ms), or 0 without one. */
async function presenceExpiryOf(keyPrefix: string, userId: string): Promise<number> {
  const redis = rawRedis();
  try {
    const entries = await redis.zrange(`${keyPrefix}presence:${userId}`, 0, -1, 'WITHSCORES');
    return Math.max(0, ...entries.filter((_, index) => index % 2 === 1).map(Number));
  } finally {
    redis.disconnect();
  }
}

/** Every presence key under the prefix with its entries, for a failure message. */
async function presenceDump(keyPrefix: string): Promise<string> {
  const redis = rawRedis();
  try {
    const keys = await keysUnder(redis, `${keyPrefix}presence:`);
    const entries = await Promise.all(
      keys.map(
        async (key) => `${key}=${JSON.stringify(await redis.zrange(key, 0, -1, 'WITHSCORES'))}`,
      ),
    );
    return entries.join(' ');
  } finally {
    redis.disconnect();
  }
}

/**
 * Two API replicas as separate processes (one database, one Redis prefix) behind a real nginx
 * running deploy/nginx.conf; clients only ever talk to nginx. One replica is SIGKILLed while four
 * clients chat non-stop: nothing acked may be lost or doubled, and the presence of a user who was
 * on the dead replica and did not come back must expire.
 */
describe('replica failover: SIGKILL one of two replica processes behind nginx', () => {
  let cluster: ChildReplicas;
  let nginx: Nginx;
  let smtp: TestSmtpServer;
  const chatters: Chatter[] = [];

  beforeAll(async () => {
    smtp = await startSmtpServer();
    cluster = await startChildReplicas(2, {
      env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50', SHUTDOWN_GRACE_MS: '5000' },
    });
    nginx = await startNginx(cluster.replicas.map((replica) => replica.port));
  }, 60_000);

  afterAll(async () => {
    for (const chatter of chatters) chatter.close();
    closeAllSockets();
    await nginx?.stop();
    await cluster?.close();
    await smtp?.stop();
  }, 30_000);

  it('clients of the killed replica reconnect through nginx and catch up: every acked message exactly once, in seq order; its absent users go offline', async () => {
    const [victim, survivor] = cluster.replicas;
    const users = (await signUpClients(nginx.url, smtp, 6)).map((client) =>
      asUser(nginx.url, client.session),
    );
    const [owner, ...others] = users;
    const group = await groupOf(owner, others, 'failover');
    const chatterUsers = users.slice(0, 4);
    const leaverUsers = users.slice(4);

    // One connection after another with nothing in between: nginx's round robin alternates them,
    // so each replica holds two chatters and one leaver.
    for (const [index, user] of chatterUsers.entries()) {
      const chatter = new Chatter(`c${index}`, nginx.url, user, group);
      chatters.push(chatter);
      await chatter.connect();
    }
    // Leavers never reconnect (like a phone that lost its network for good).
    const leavers: ChatClient[] = [];
    for (const user of leaverUsers) {
      leavers.push(await connectSocket(nginx.url, { token: user.session.accessToken }));
    }
    const dropped = new Set<number>();
    leavers.forEach((socket, index) => socket.on('disconnect', () => dropped.add(index)));
    await waitFor('both leavers online', async () => {
      for (const user of leaverUsers) {
        const res = await owner.get(`/users/${user.id}`).expect(200);
        if (res.body.data.status !== 'online') return false;
      }
      return true;
    });

    for (const chatter of chatters) chatter.start(SEND_INTERVAL_MS);
    await waitFor('every chatter to have 5 acked messages', () =>
      chatters.every((chatter) => chatter.acked.size >= 5),
    );

    const killedAt = Date.now();
    victim.process.child.kill('SIGKILL');
    expect(await victim.process.waitForExit(5_000)).toEqual({ code: null, signal: 'SIGKILL' });

    // Its sockets drop at once (nginx loses the upstream connection and closes the client's).
    const droppedChatters = (): number => chatters.filter((c) => c.disconnects > 0).length;
    await waitFor(
      'the sockets of the killed replica (2 chatters, 1 leaver) to drop',
      () => droppedChatters() === 2 && dropped.size === 1,
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}; dropped: ${droppedChatters()} chatters, ${dropped.size} leavers`,
      );
    });
    const moved = chatters.filter((chatter) => chatter.disconnects > 0);
    const stayed = chatters.filter((chatter) => chatter.disconnects === 0);
    const goneIndex = [...dropped][0];
    const gone = leaverUsers[goneIndex];
    const stays = leaverUsers[1 - goneIndex];
    // Its last heartbeat is in: when the dead replica's entry for the leaver expires.
    const goneExpiresAt = await presenceExpiryOf(cluster.keyPrefix, gone.id);
    expect(goneExpiresAt).toBeGreaterThan(killedAt);
    expect(goneExpiresAt).toBeLessThanOrEqual(killedAt + PRESENCE_TTL_MS);

    // They come back through nginx (to the survivor) and everyone keeps chatting.
    await waitFor(
      'every chatter to be connected and to have 5 acks after the kill',
      () =>
        chatters.every((chatter) => chatter.socket.connected && chatter.ackedSince(killedAt) >= 5),
      { timeoutMs: 15_000 },
    );
    const recoveredInMs = Date.now() - killedAt;

    // Stop sending; every unacked send is retried with its clientMessageId until acked.
    await Promise.all(chatters.map((chatter) => chatter.stop(15_000)));
    // A client's last catch-up (after=<last gapless seq>), then the server's truth.
    await Promise.all(chatters.map((chatter) => chatter.catchUp()));
    const stored = await historyOf(owner, group);

    // The history: seqs 1..N without a gap, and exactly the acked messages (none unacked, none twice).
    expect(stored.map((m) => m.seq)).toEqual(stored.map((_, index) => index + 1));
    const ackedAll = chatters.flatMap((chatter) =>
      [...chatter.acked.values()].map((m) => `${m.senderId}/${m.clientMessageId}/${m.id}`),
    );
    expect(new Set(ackedAll).size).toBe(ackedAll.length);
    expect(stored.map((m) => `${m.senderId}/${m.clientMessageId}/${m.id}`).sort()).toEqual(
      ackedAll.sort(),
    );
    for (const chatter of chatters) {
      expect({ name: chatter.name, pending: chatter.pending.size, errors: chatter.errors }).toEqual(
        { name: chatter.name, pending: 0, errors: [] },
      );
      expect(chatter.conflicts).toEqual([]);
      // What each client shows: every stored message once, in seq order.
      const shown = [...chatter.held.values()].sort((a, b) => a.seq - b.seq);
      expect(shown.map((m) => [m.seq, m.id])).toEqual(stored.map((m) => [m.seq, m.id]));
      // No message:new was delivered twice to one client.
      expect([...chatter.deliveries.values()].filter((count) => count > 1)).toEqual([]);
    }
    expect(moved.every((chatter) => chatter.connects >= 2)).toBe(true);
    expect(stayed.map((chatter) => chatter.connects)).toEqual([1, 1]);

    // Presence: the leaver of the dead replica goes offline for its peers at the first sweep after
    // its entry expired (within TTL + a sweep of the kill); nobody else does (the chatters that
    // moved are online through their new sockets, the other leaver through the survivor).
    expect(leavers[1 - goneIndex].connected).toBe(true);
    const offlineOf = (chatter: Chatter, userId: string): number[] =>
      chatter.presence
        .filter((event) => event.userId === userId && event.status === 'offline')
        .map((event) => event.at);
    const offlineBy = goneExpiresAt + SWEEP_MAX_MS + SLACK_MS;
    await waitFor(
      `every chatter to see ${gone.id} offline`,
      () => chatters.every((chatter) => offlineOf(chatter, gone.id).length > 0),
      { timeoutMs: Math.max(1_000, offlineBy - Date.now()), intervalMs: 100 },
    ).catch(async (error: Error) => {
      throw new Error(
        `${error.message}; killed at ${killedAt}, its entry expired at ${goneExpiresAt}, now ${Date.now()}; ` +
          `presence seen: ${JSON.stringify(chatters.map((c) => c.presence))}; ` +
          `redis: ${await presenceDump(cluster.keyPrefix)}; survivor output: ` +
          `${survivor.process.stdout().slice(-3000)} ${survivor.process.stderr().slice(-3000)}`,
      );
    });
    const offlineAt = Math.max(...chatters.map((c) => offlineOf(c, gone.id)[0]));
    expect(offlineAt).toBeLessThanOrEqual(offlineBy);
    expect(offlineAt - killedAt).toBeLessThanOrEqual(OFFLINE_WITHIN_MS);
    for (const chatter of chatters) {
      expect(offlineOf(chatter, gone.id)).toHaveLength(1);
      const othersOffline = chatter.presence.filter(
        (event) => event.status === 'offline' && event.userId !== gone.id,
      );
      expect(othersOffline).toEqual([]);
    }
    const statusOf = async (user: ChatUser): Promise<string> =>
      (await owner.get(`/users/${user.id}`).expect(200)).body.data.status as string;
    expect(await statusOf(gone)).toBe('offline');
    expect(await statusOf(stays)).toBe('online');

    const fromCatchUp = chatters.map(
      (chatter) => stored.filter((m) => !chatter.deliveries.has(m.id)).length,
    );
    console.info(
      `replica failover: ${stored.length} messages; all chatters chatting again ${recoveredInMs} ms after the SIGKILL; ` +
        `acks of retried sends ${chatters.map((c) => c.retriedAcks.length).join('/')}; ` +
        `messages only got by catch-up ${fromCatchUp.join('/')}; leaver offline ${offlineAt - killedAt} ms after the kill (${offlineAt - goneExpiresAt} ms after its entry expired)`,
    );

    // The survivor still shuts down cleanly.
    for (const chatter of chatters) chatter.close();
    closeAllSockets();
    survivor.process.child.kill('SIGTERM');
    expect(await survivor.process.waitForExit(10_000)).toEqual({ code: 0, signal: null });
  }, 100_000);
});
