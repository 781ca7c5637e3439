import type { TestApp } from '../support/app';
import { asUser, clientId, directBetween, type ChatUser } from '../support/chat';
import { rawRedis } from '../support/redis';
import { startReplicas, type Replicas } from '../support/replicas';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import {
  closeAllSockets,
  connectSocket,
  emitWithAck,
  type AckReply,
  type ChatClient,
} from '../support/socket';
import { signUpClient } from '../support/users';
import { waitFor } from '../support/wait';
import { WS_RATE_LIMITS } from '../../src/modules/chat/ws-rate-limit';

interface MessageEvent {
  id: string;
  seq: number;
  clientMessageId: string;
}

const RATE_LIMITED = {
  ok: false,
  error: { code: 'RATE_LIMITED', message: expect.stringMatching(/retry in \d+ ms/) },
};

/** Splits replies into the successes and the rest; every refusal must be RATE_LIMITED. */
function tally<T>(replies: AckReply<T>[]): { ok: T[]; limited: number } {
  const ok: T[] = [];
  let limited = 0;
  for (const reply of replies) {
    if (reply.ok) ok.push(reply.data);
    else {
      expect(reply).toEqual(RATE_LIMITED);
      limited += 1;
    }
  }
  return { ok, limited };
}

/**
 * Per-user socket event budgets live in Redis (`ratelimit:ws:<userId>:<class>` under the app's
 * prefix), so two replicas share them: these tests burst past the real limits of WS_RATE_LIMITS.
 */
describe('socket: per-user event rate limits, shared by replicas', () => {
  let replicas: Replicas;
  let smtp: TestSmtpServer;
  let a: TestApp;
  let b: TestApp;

  const signUp = async (): Promise<ChatUser> =>
    asUser(a.url, (await signUpClient(a.url, smtp)).session);
  const connectTo = (app: TestApp, user: ChatUser): Promise<ChatClient> =>
    connectSocket(app.url, { token: user.session.accessToken });

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

  it('message:send: two sockets of one user on two replicas share one budget; refused sends store nothing; usable after', async () => {
    const { burst, intervalMs } = WS_RATE_LIMITS.message;
    const [alice, bob] = await Promise.all([signUp(), signUp()]);
    const direct = await directBetween(alice, bob);
    const [onA, onB] = await Promise.all([connectTo(a, alice), connectTo(b, alice)]);
    const send = (socket: ChatClient): Promise<AckReply<MessageEvent>> =>
      emitWithAck<MessageEvent>(
        socket,
        'message:send',
        { conversationId: direct, clientMessageId: clientId('rl'), body: 'burst' },
        15_000,
      );

    // burst + 20 events, half through each replica: separate budgets would take them all.
    const perSocket = burst / 2 + 10;
    const started = Date.now();
    const replies = await Promise.all(
      Array.from({ length: perSocket }, () => [send(onA), send(onB)]).flat(),
    );
    const elapsedMs = Date.now() - started;
    // The bucket is one key under the app's prefix, expiring once it is full again: read at once,
    // since it refills completely within burst × interval (2 s) of the last send.
    const redis = rawRedis();
    let ttl: number;
    try {
      ttl = await redis.pttl(`${replicas.keyPrefix}ratelimit:ws:${alice.id}:message`);
    } finally {
      redis.disconnect();
    }
    expect(ttl).toBeLessThanOrEqual(burst * intervalMs);
    // -2 (gone) only when this loaded machine took longer than the refill to get here.
    if (ttl === -2) expect(Date.now() - started).toBeGreaterThan(burst * intervalMs);
    else expect(ttl).toBeGreaterThan(0);

    const { ok, limited } = tally(replies);
    expect(ok.length).toBeGreaterThanOrEqual(burst);
    // The bucket refills one event per interval while the burst is being answered.
    expect(ok.length).toBeLessThanOrEqual(burst + Math.ceil(elapsedMs / intervalMs) + 1);
    expect(ok.length).toBeLessThan(2 * perSocket);
    expect(limited).toBe(2 * perSocket - ok.length);

    // Only the accepted sends were stored: seqs 1..n, nothing for the refused ones.
    const history = await bob
      .get(`/conversations/${direct}/messages?after=0&limit=100`)
      .expect(200);
    const stored = history.body.data as MessageEvent[];
    expect(stored.map((m) => m.seq)).toEqual(ok.map((_, index) => index + 1));
    expect(new Set(stored.map((m) => m.id))).toEqual(new Set(ok.map((m) => m.id)));

    // Bob's budget is his own.
    expect(
      await emitWithAck(await connectTo(a, bob), 'message:send', {
        conversationId: direct,
        clientMessageId: clientId(),
        body: 'my own budget',
      }),
    ).toMatchObject({ ok: true });

    // Both sockets stayed connected and send again once the bucket refilled.
    for (const socket of [onA, onB]) {
      expect(socket.connected).toBe(true);
      await waitFor(
        'a send to be accepted again',
        async () => ((await send(socket)).ok ? true : null),
        { timeoutMs: 5_000, intervalMs: intervalMs * 2 },
      );
    }
  });

  it('message:read and typing have budgets of their own; malformed events cost nothing', async () => {
    const [carol, dave] = await Promise.all([signUp(), signUp()]);
    const direct = await directBetween(carol, dave);
    const [onA, onB] = await Promise.all([connectTo(a, carol), connectTo(b, carol)]);

    // Refused before the limiter: no I/O is spent on a payload that can't be valid.
    const malformed = await Promise.all(
      Array.from({ length: 60 }, () =>
        emitWithAck(onA, 'message:read', { conversationId: direct, seq: 'x' }),
      ),
    );
    expect(malformed.every((r) => !r.ok && r.error.code === 'VALIDATION_FAILED')).toBe(true);

    const reads = WS_RATE_LIMITS.read.burst + 20;
    const readReplies = await Promise.all(
      Array.from({ length: reads }, (_, i) =>
        emitWithAck(i % 2 ? onB : onA, 'message:read', { conversationId: direct, seq: 0 }),
      ),
    );
    const readTally = tally(readReplies);
    expect(readTally.ok.length).toBeGreaterThanOrEqual(WS_RATE_LIMITS.read.burst);
    expect(readTally.limited).toBeGreaterThanOrEqual(10);

    // The read budget is spent; typing and sending are not.
    expect(await emitWithAck(onB, 'typing:start', { conversationId: direct })).toEqual({
      ok: true,
      data: null,
    });
    expect(
      await emitWithAck(onA, 'message:send', {
        conversationId: direct,
        clientMessageId: clientId(),
        body: 'still allowed',
      }),
    ).toMatchObject({ ok: true });

    const typings = WS_RATE_LIMITS.typing.burst + 15;
    const typingReplies = await Promise.all(
      Array.from({ length: typings }, (_, i) =>
        emitWithAck(i % 2 ? onA : onB, i % 3 ? 'typing:start' : 'typing:stop', {
          conversationId: direct,
        }),
      ),
    );
    const typingTally = tally(typingReplies);
    // One typing event was spent above.
    expect(typingTally.ok.length).toBeGreaterThanOrEqual(WS_RATE_LIMITS.typing.burst - 1);
    expect(typingTally.limited).toBeGreaterThanOrEqual(10);
    expect([onA.connected, onB.connected]).toEqual([true, true]);
    await waitFor(
      'message:read to be accepted again',
      async () =>
        (await emitWithAck(onA, 'message:read', { conversationId: direct, seq: 0 })).ok || null,
      { timeoutMs: 5_000, intervalMs: 100 },
    );
  });

  it('auth:refresh: the burst, then RATE_LIMITED on either replica; the socket keeps working', async () => {
    const { burst } = WS_RATE_LIMITS.refresh;
    const [erin, frank] = await Promise.all([signUp(), signUp()]);
    const direct = await directBetween(erin, frank);
    const [onA, onB] = await Promise.all([connectTo(a, erin), connectTo(b, erin)]);
    const token = erin.session.accessToken;
    const replies = await Promise.all(
      Array.from({ length: burst + 4 }, (_, i) =>
        emitWithAck(i % 2 ? onB : onA, 'auth:refresh', { token }),
      ),
    );
    // One event per 10 s refills: within this burst, exactly `burst` pass.
    const { ok, limited } = tally(replies);
    expect(ok).toHaveLength(burst);
    expect(limited).toBe(4);
    expect(await emitWithAck(onB, 'auth:refresh', { token })).toEqual(RATE_LIMITED);

    // Connected, and every other event still served.
    expect([onA.connected, onB.connected]).toEqual([true, true]);
    expect(
      await emitWithAck(onB, 'message:send', {
        conversationId: direct,
        clientMessageId: clientId(),
        body: 'after refreshing too often',
      }),
    ).toMatchObject({ ok: true });
    // Frank's refreshes are his own.
    expect(
      await emitWithAck(await connectTo(b, frank), 'auth:refresh', {
        token: frank.session.accessToken,
      }),
    ).toMatchObject({ ok: true });
  });
});
