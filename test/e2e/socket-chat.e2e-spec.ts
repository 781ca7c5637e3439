import { startTestApp, type TestApp } from '../support/app';
import { asUser, clientId, directBetween, groupOf, sendText, type ChatUser } from '../support/chat';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import {
  closeAllSockets,
  closeSocket,
  connectSocket,
  disconnected,
  emitWithAck,
  nextEvent,
  noEvent,
  recordEvents,
  type ChatClient,
} from '../support/socket';
import { signUpClient } from '../support/users';
import { waitFor } from '../support/wait';

interface MessageEvent {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientMessageId: string;
  body: string | null;
  deletedAt: string | null;
  editedAt: string | null;
}

describe('socket: chat events', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let alice: ChatUser;
  let bob: ChatUser;
  let carol: ChatUser;
  let direct: string;

  const signUp = async (): Promise<ChatUser> =>
    asUser(t.url, (await signUpClient(t.url, smtp)).session);
  const connect = (user: ChatUser): Promise<ChatClient> =>
    connectSocket(t.url, { token: user.session.accessToken });

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    [alice, bob, carol] = await Promise.all([signUp(), signUp(), signUp()]);
    direct = await directBetween(alice, bob);
  });
  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
    await smtp?.stop();
  });

  describe('message:send', () => {
    it('acks the stored message after commit and delivers message:new to every socket of every member', async () => {
      const [aliceSocket, bobPhone, bobLaptop, carolSocket] = await Promise.all([
        connect(alice),
        connect(bob),
        connect(bob),
        connect(carol),
      ]);
      const clientMessageId = clientId('sock');
      const onPhone = nextEvent<MessageEvent>(
        bobPhone,
        'message:new',
        (m) => m.clientMessageId === clientMessageId,
      );
      const onLaptop = nextEvent<MessageEvent>(
        bobLaptop,
        'message:new',
        (m) => m.clientMessageId === clientMessageId,
      );
      const onOwn = nextEvent<MessageEvent>(
        aliceSocket,
        'message:new',
        (m) => m.clientMessageId === clientMessageId,
      );
      const carolSaw = recordEvents(carolSocket, 'message:new');

      const reply = await emitWithAck<MessageEvent>(aliceSocket, 'message:send', {
        conversationId: direct,
        clientMessageId,
        body: '  hello over a socket  ',
      });
      expect(reply).toEqual({
        ok: true,
        data: expect.objectContaining({
          conversationId: direct,
          senderId: alice.id,
          clientMessageId,
          body: 'hello over a socket',
          seq: expect.any(Number),
        }),
      });
      if (!reply.ok) throw new Error('unreachable');
      expect(await onPhone).toEqual(reply.data);
      expect(await onLaptop).toEqual(reply.data);
      expect(await onOwn).toEqual(reply.data);

      // The stored message is what REST returns too.
      const history = await bob
        .get(`/conversations/${direct}/messages?after=${reply.data.seq - 1}`)
        .expect(200);
      expect(history.body.data[0]).toEqual(reply.data);

      // A retry with the same clientMessageId: the same message, and no second message:new.
      const again = await emitWithAck<MessageEvent>(aliceSocket, 'message:send', {
        conversationId: direct,
        clientMessageId,
        body: 'hello over a socket',
      });
      expect(again).toEqual(reply);
      await noEvent(
        bobPhone,
        'message:new',
        300,
        (m) => (m as MessageEvent).clientMessageId === clientMessageId,
      );
      expect(carolSaw).toEqual([]);
    });

    it('answers errors with the same codes as REST, and the socket keeps working', async () => {
      const socket = await connect(carol);
      const cases: [unknown, string][] = [
        [
          { conversationId: direct, clientMessageId: clientId(), body: 'not a member' },
          'CONVERSATION_NOT_FOUND',
        ],
        [
          {
            conversationId: '0198f3b2-7c1a-7b3e-9a1b-1234567890ab',
            clientMessageId: clientId(),
            body: 'x',
          },
          'CONVERSATION_NOT_FOUND',
        ],
        [{ conversationId: direct, clientMessageId: clientId(), body: '   ' }, 'VALIDATION_FAILED'],
        [{ conversationId: direct, clientMessageId: 'has spaces', body: 'x' }, 'VALIDATION_FAILED'],
        [
          { conversationId: 'not-a-uuid', clientMessageId: clientId(), body: 'x' },
          'VALIDATION_FAILED',
        ],
        [{ conversationId: direct, body: 'x' }, 'VALIDATION_FAILED'],
        [
          { conversationId: direct, clientMessageId: clientId(), body: 'x', senderId: alice.id },
          'VALIDATION_FAILED',
        ],
        [{ conversationId: direct, clientMessageId: clientId(), body: 42 }, 'VALIDATION_FAILED'],
        [
          { conversationId: direct, clientMessageId: clientId(), body: 'x'.repeat(17_000) },
          'PAYLOAD_TOO_LARGE',
        ],
      ];
      for (const [payload, code] of cases) {
        const reply = await emitWithAck(socket, 'message:send', payload);
        expect(reply).toEqual({ ok: false, error: { code, message: expect.any(String) } });
      }
      // The REST answer for the same mistake has the same code and message.
      const rest = await alice
        .post(`/conversations/${direct}/messages`, { clientMessageId: clientId(), body: '   ' })
        .expect(422);
      const mine = await emitWithAck(await connect(alice), 'message:send', {
        conversationId: direct,
        clientMessageId: clientId(),
        body: '   ',
      });
      expect(mine).toEqual({
        ok: false,
        error: { code: rest.body.error.code, message: rest.body.error.message },
      });
    });
  });

  describe('fan-out of REST changes', () => {
    it('message:new, message:updated, reaction:updated and message:deleted reach the members', async () => {
      const bobSocket = await connect(bob);
      const created = nextEvent<MessageEvent>(
        bobSocket,
        'message:new',
        (m) => m.conversationId === direct,
      );
      const sent = await sendText(alice, direct, 'from REST');
      expect(await created).toMatchObject({ id: sent.id, body: 'from REST' });

      const updated = nextEvent<MessageEvent>(
        bobSocket,
        'message:updated',
        (m) => m.id === sent.id,
      );
      await alice
        .patch(`/conversations/${direct}/messages/${sent.id}`, { body: 'edited' })
        .expect(200);
      expect(await updated).toMatchObject({
        id: sent.id,
        body: 'edited',
        editedAt: expect.any(String),
      });

      const reacted = nextEvent<{ messageId: string; reactions: unknown[] }>(
        bobSocket,
        'reaction:updated',
        (r) => r.messageId === sent.id,
      );
      const reaction = await alice.put(
        `/conversations/${direct}/messages/${sent.id}/reactions/${encodeURIComponent('👍')}`,
      );
      expect([200, 201]).toContain(reaction.status);
      expect(await reacted).toEqual({
        conversationId: direct,
        messageId: sent.id,
        reactions: [expect.objectContaining({ emoji: '👍', count: 1, userIds: [alice.id] })],
      });

      const deleted = nextEvent<MessageEvent>(
        bobSocket,
        'message:deleted',
        (m) => m.id === sent.id,
      );
      await alice.delete(`/conversations/${direct}/messages/${sent.id}`).expect(200);
      expect(await deleted).toMatchObject({
        id: sent.id,
        body: null,
        deletedAt: expect.any(String),
      });
    });

    it('member:added, conversation:updated per recipient, member:removed; a removed member stops getting events', async () => {
      const group = await groupOf(alice, [bob], 'sockets');
      const [aliceSocket, bobSocket, carolSocket] = await Promise.all([
        connect(alice),
        connect(bob),
        connect(carol),
      ]);

      const added = nextEvent(
        bobSocket,
        'member:added',
        (p: { userId: string }) => p.userId === carol.id,
      );
      const carolAdded = nextEvent(
        carolSocket,
        'member:added',
        (p: { userId: string }) => p.userId === carol.id,
      );
      await alice.post(`/conversations/${group}/members`, { userIds: [carol.id] }).expect((res) => {
        expect([200, 201]).toContain(res.status);
      });
      expect(await added).toEqual({ conversationId: group, userId: carol.id });
      expect(await carolAdded).toEqual({ conversationId: group, userId: carol.id });

      await sendText(alice, group, 'before the rename');
      const bobView = nextEvent<{ id: string; name: string; unreadCount: number }>(
        bobSocket,
        'conversation:updated',
        (c) => c.id === group,
      );
      const aliceView = nextEvent<{ id: string; name: string; unreadCount: number }>(
        aliceSocket,
        'conversation:updated',
        (c) => c.id === group,
      );
      await alice.patch(`/conversations/${group}`, { name: 'renamed' }).expect(200);
      expect(await bobView).toMatchObject({ id: group, name: 'renamed', unreadCount: 1 });
      expect(await aliceView).toMatchObject({ id: group, name: 'renamed', unreadCount: 0 });

      const removed = nextEvent(
        carolSocket,
        'member:removed',
        (p: { userId: string }) => p.userId === carol.id,
      );
      await alice.delete(`/conversations/${group}/members/${carol.id}`).expect(200);
      expect(await removed).toEqual({ conversationId: group, userId: carol.id });

      const bobGets = nextEvent<MessageEvent>(
        bobSocket,
        'message:new',
        (m) => m.conversationId === group,
      );
      await sendText(alice, group, 'after carol left');
      await bobGets;
      await noEvent(
        carolSocket,
        'message:new',
        300,
        (m) => (m as MessageEvent).conversationId === group,
      );
      const denied = await emitWithAck(carolSocket, 'message:send', {
        conversationId: group,
        clientMessageId: clientId(),
        body: 'let me back in',
      });
      expect(denied).toMatchObject({ ok: false, error: { code: 'CONVERSATION_NOT_FOUND' } });
    });
  });

  describe('message:read', () => {
    it('acks { lastReadSeq } and sends receipt:read to the other members', async () => {
      const [aliceSocket, bobSocket] = await Promise.all([connect(alice), connect(bob)]);
      const { seq } = await sendText(alice, direct, 'read me');
      const receipt = nextEvent(
        aliceSocket,
        'receipt:read',
        (r: { userId: string; seq: number }) => r.userId === bob.id && r.seq === seq,
      );
      const reply = await emitWithAck(bobSocket, 'message:read', { conversationId: direct, seq });
      expect(reply).toEqual({ ok: true, data: { lastReadSeq: seq } });
      expect(await receipt).toEqual({ conversationId: direct, userId: bob.id, seq });
      // Lower seq: ignored, answered with the current pointer, no receipt.
      expect(
        await emitWithAck(bobSocket, 'message:read', { conversationId: direct, seq: 0 }),
      ).toEqual({
        ok: true,
        data: { lastReadSeq: seq },
      });
      for (const [payload, code] of [
        [{ conversationId: direct, seq: seq + 1000 }, 'VALIDATION_FAILED'],
        [{ conversationId: direct, seq: -1 }, 'VALIDATION_FAILED'],
        [{ conversationId: direct, seq: 1.5 }, 'VALIDATION_FAILED'],
        [{ conversationId: direct, seq: '3' }, 'VALIDATION_FAILED'],
        [{ conversationId: direct }, 'VALIDATION_FAILED'],
        [{ conversationId: direct, seq: 1, extra: true }, 'VALIDATION_FAILED'],
      ] as [unknown, string][]) {
        expect(await emitWithAck(bobSocket, 'message:read', payload)).toMatchObject({
          ok: false,
          error: { code },
        });
      }
      const carolSocket = await connect(carol);
      expect(
        await emitWithAck(carolSocket, 'message:read', { conversationId: direct, seq: 1 }),
      ).toMatchObject({
        ok: false,
        error: { code: 'CONVERSATION_NOT_FOUND' },
      });
    });
  });

  describe('typing', () => {
    it('typing:start tells the other members, typing:stop ends it; non-members are refused', async () => {
      const [aliceSocket, bobSocket, carolSocket] = await Promise.all([
        connect(alice),
        connect(bob),
        connect(carol),
      ]);
      const ownTyping = recordEvents(aliceSocket, 'typing');
      const started = nextEvent(bobSocket, 'typing', (p: { isTyping: boolean }) => p.isTyping);
      expect(await emitWithAck(aliceSocket, 'typing:start', { conversationId: direct })).toEqual({
        ok: true,
        data: null,
      });
      expect(await started).toEqual({ conversationId: direct, userId: alice.id, isTyping: true });
      const stopped = nextEvent(bobSocket, 'typing', (p: { isTyping: boolean }) => !p.isTyping);
      expect(await emitWithAck(aliceSocket, 'typing:stop', { conversationId: direct })).toEqual({
        ok: true,
        data: null,
      });
      expect(await stopped).toEqual({ conversationId: direct, userId: alice.id, isTyping: false });
      expect(ownTyping).toEqual([]);
      for (const event of ['typing:start', 'typing:stop']) {
        expect(await emitWithAck(carolSocket, event, { conversationId: direct })).toMatchObject({
          ok: false,
          error: { code: 'CONVERSATION_NOT_FOUND' },
        });
        expect(await emitWithAck(carolSocket, event, { conversationId: 'nope' })).toMatchObject({
          ok: false,
          error: { code: 'VALIDATION_FAILED' },
        });
      }
    });

    it('expires by itself 5 s after the last repeat, and ends when the typing socket goes', async () => {
      const [aliceSocket, bobSocket] = await Promise.all([connect(alice), connect(bob)]);
      const events = recordEvents<{ isTyping: boolean; userId: string }>(bobSocket, 'typing');
      await emitWithAck(aliceSocket, 'typing:start', { conversationId: direct });
      await waitFor('typing true', () => events.length === 1);
      const lastRepeat = await new Promise<number>((resolve) =>
        setTimeout(() => {
          void emitWithAck(aliceSocket, 'typing:start', { conversationId: direct }).then(() =>
            resolve(Date.now()),
          );
        }, 1_500),
      );
      const ended = await nextEvent<{ isTyping: boolean }>(
        bobSocket,
        'typing',
        (p) => !p.isTyping,
        8_000,
      );
      const after = Date.now() - lastRepeat;
      expect(ended).toEqual({ conversationId: direct, userId: alice.id, isTyping: false });
      expect(after).toBeGreaterThan(4_500);
      expect(after).toBeLessThan(6_500);
      expect(events.filter((e) => e.isTyping).length).toBe(1); // the quick repeat was not re-broadcast

      await emitWithAck(aliceSocket, 'typing:start', { conversationId: direct });
      const gone = nextEvent<{ isTyping: boolean }>(bobSocket, 'typing', (p) => !p.isTyping, 2_000);
      closeSocket(aliceSocket);
      expect(await gone).toMatchObject({ userId: alice.id, isTyping: false });
    });
  });

  describe('hostile input', () => {
    it('every event survives malformed, oversized, extra-argument and ack-less payloads; the server still serves', async () => {
      const socket = await connect(alice);
      const raw = socket as unknown as import('socket.io-client').Socket;
      const bad: unknown[] = [
        undefined,
        null,
        0,
        'text',
        true,
        [],
        [direct],
        { conversationId: { $ne: null } },
        JSON.parse('{"__proto__":{"polluted":1},"conversationId":"x"}'),
        JSON.parse('{"constructor":{"prototype":{"polluted":1}}}'),
        { deep: JSON.parse(`${'{"a":'.repeat(50)}1${'}'.repeat(50)}`) },
        { conversationId: direct, padding: 'x'.repeat(30_000) },
        Buffer.from('binary'),
        { conversationId: direct, nested: Buffer.alloc(10) },
      ];
      for (const event of [
        'message:send',
        'message:read',
        'typing:start',
        'typing:stop',
        'auth:refresh',
      ]) {
        for (const payload of bad) {
          const reply = (await raw.timeout(5_000).emitWithAck(event, payload)) as {
            ok: boolean;
            error?: { code: string; message: string };
          };
          expect(reply.ok).toBe(false);
          expect(['VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE']).toContain(reply.error?.code);
        }
        // Without an ack callback, with no arguments at all, with two payloads.
        raw.emit(event, { conversationId: direct });
        raw.emit(event);
        expect(((await raw.timeout(5_000).emitWithAck(event, {}, {})) as { ok: boolean }).ok).toBe(
          false,
        );
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      // A packet over the server's 64 kB limit closes only that connection.
      const big = await connect(alice);
      const closed = disconnected(big);
      (big as unknown as import('socket.io-client').Socket).emit('message:send', {
        body: 'x'.repeat(100_000),
      });
      await closed;
      // Still serving, on the socket that behaved and on new ones.
      expect(socket.connected).toBe(true);
      const ok = await emitWithAck(socket, 'message:send', {
        conversationId: direct,
        clientMessageId: clientId(),
        body: 'still here',
      });
      expect(ok).toMatchObject({ ok: true });
      expect((await connect(bob)).connected).toBe(true);
    });
  });

  describe('presence', () => {
    it('peers see online on the first socket and offline after the last; last_seen_at is stored; blocked users see nothing', async () => {
      const [dave, erin] = await Promise.all([signUp(), signUp()]);
      await directBetween(dave, alice);
      await directBetween(dave, erin);
      const aliceSocket = await connect(alice);
      const erinSocket = await connect(erin);
      const erinSaw = recordEvents<{ userId: string }>(erinSocket, 'presence');
      // Erin blocks Dave after their conversation exists: she must not see his presence any more.
      await erin.post('/users/me/blocks', { userId: dave.id }).expect((res) => {
        expect([200, 201]).toContain(res.status);
      });

      const online = nextEvent(
        aliceSocket,
        'presence',
        (p: { userId: string }) => p.userId === dave.id,
      );
      const first = await connect(dave);
      expect(await online).toEqual({
        userId: dave.id,
        status: 'online',
        lastSeenAt: expect.any(String),
      });
      const profile = await alice.get(`/users/${dave.id}`).expect(200);
      expect(profile.body.data.status).toBe('online');

      const second = await connect(dave);
      await noEvent(
        aliceSocket,
        'presence',
        300,
        (p) => (p as { userId: string }).userId === dave.id,
      );
      closeSocket(first);
      await noEvent(
        aliceSocket,
        'presence',
        300,
        (p) => (p as { userId: string }).userId === dave.id,
      );

      const offline = nextEvent<{ status: string; lastSeenAt: string }>(
        aliceSocket,
        'presence',
        (p) => (p as unknown as { userId: string }).userId === dave.id,
      );
      closeSocket(second);
      const last = await offline;
      expect(last).toEqual({ userId: dave.id, status: 'offline', lastSeenAt: expect.any(String) });
      const stored = await waitFor('last_seen_at stored', async () => {
        const res = await alice.get(`/users/${dave.id}`).expect(200);
        return res.body.data.status === 'offline' && res.body.data.lastSeenAt === last.lastSeenAt
          ? res
          : null;
      });
      expect(stored.body.data.lastSeenAt).toBe(last.lastSeenAt);
      expect(erinSaw.filter((p) => p.userId === dave.id)).toEqual([]);
    });
  });
});
