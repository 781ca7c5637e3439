import type { Socket } from 'socket.io-client';
import { startTestApp, type TestApp } from '../support/app';
import { asUser, clientId, directBetween, groupOf, type ChatUser } from '../support/chat';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import {
  closeAllSockets,
  closeSocket,
  connectSocket,
  emitWithAck,
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
}

interface ConversationView {
  id: string;
  lastSeq: number;
  lastReadSeq: number;
  unreadCount: number;
}

/** Delivery guarantees of the socket path: order, exactly-once, lost acks, devices, unread. */
describe('socket: delivery', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let users: ChatUser[];

  const signUp = async (): Promise<ChatUser> =>
    asUser(t.url, (await signUpClient(t.url, smtp)).session);
  const connect = (user: ChatUser): Promise<ChatClient> =>
    connectSocket(t.url, { token: user.session.accessToken });
  const send = (socket: ChatClient, conversationId: string, body: string, id = clientId()) =>
    emitWithAck<MessageEvent>(
      socket,
      'message:send',
      { conversationId, clientMessageId: id, body },
      15_000,
    );
  /** Every message of a conversation, oldest first, through REST. */
  async function history(user: ChatUser, conversationId: string): Promise<MessageEvent[]> {
    const all: MessageEvent[] = [];
    for (;;) {
      const after = all.at(-1)?.seq ?? 0;
      const res = await user
        .get(`/conversations/${conversationId}/messages?after=${after}&limit=100`)
        .expect(200);
      all.push(...(res.body.data as MessageEvent[]));
      if (!res.body.page.nextCursor) return all;
    }
  }
  async function viewOf(user: ChatUser, conversationId: string): Promise<ConversationView> {
    const res = await user.get('/conversations').expect(200);
    const view = (res.body.data as ConversationView[]).find((c) => c.id === conversationId);
    if (!view) throw new Error(`conversation ${conversationId} not listed`);
    return view;
  }

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    users = await Promise.all(Array.from({ length: 8 }, signUp));
  }, 60_000);
  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
    await smtp?.stop();
  });

  it('50 concurrent senders in one group: seqs 1..N without gap or repeat; every socket gets every message once, in seq order', async () => {
    const SOCKETS = 50;
    const PER_SOCKET = 3;
    const group = await groupOf(users[0], users.slice(1), 'fifty');
    const sockets = await Promise.all(
      Array.from({ length: SOCKETS }, (_, i) => connect(users[i % users.length])),
    );
    const received = sockets.map((socket) => {
      const seen: MessageEvent[] = [];
      socket.on('message:new', (m: MessageEvent) => {
        if (m.conversationId === group) seen.push(m);
      });
      return seen;
    });

    const replies = await Promise.all(
      sockets.flatMap((socket, i) =>
        Array.from({ length: PER_SOCKET }, (_, k) => send(socket, group, `s${i}-m${k}`)),
      ),
    );
    const total = SOCKETS * PER_SOCKET;
    const acked = replies.map((reply) => {
      if (!reply.ok) throw new Error(`a send failed: ${JSON.stringify(reply)}`);
      return reply.data;
    });
    const bySeq = [...acked].sort((x, y) => x.seq - y.seq);
    expect(bySeq.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(new Set(acked.map((m) => m.id)).size).toBe(total);

    await waitFor('every socket to receive every message', () =>
      received.every((seen) => seen.length >= total),
    );
    await noEvent(sockets[0], 'message:new', 300);
    for (const seen of received) {
      expect(seen.length).toBe(total);
      expect(seen.map((m) => m.seq)).toEqual(bySeq.map((m) => m.seq));
    }
    expect(received[SOCKETS - 1]).toEqual(bySeq);
    expect(await history(users[3], group)).toEqual(bySeq);
  }, 60_000);

  it.each([
    ['right after emitting (the server may never run it)', false],
    ['after the commit, before the ack (its own message:new)', true],
  ])(
    'a send whose ack is lost, disconnected %s, then retried with the same clientMessageId yields one message',
    async (_when, afterCommit) => {
      const [alice, bob] = [users[0], users[1]];
      const direct = await directBetween(alice, bob);
      const bobSocket = await connect(bob);
      const bobSaw = recordEvents<MessageEvent>(bobSocket, 'message:new');
      const clientMessageId = clientId('lost');
      const payload = { conversationId: direct, clientMessageId, body: 'did it arrive?' };

      const first = await connect(alice);
      const raw = first as unknown as Socket;
      let acked = false;
      const closed = new Promise<void>((resolve) => {
        if (!afterCommit) return resolve();
        // The sender's sockets get message:new before the ack: close on it, so the ack is lost.
        raw.on('message:new', (m: MessageEvent) => {
          if (m.clientMessageId !== clientMessageId) return;
          closeSocket(first);
          resolve();
        });
      });
      raw.emit('message:send', payload, () => (acked = true));
      if (!afterCommit) closeSocket(first);
      await closed;

      const retrying = await connect(alice);
      const retry = await send(retrying, direct, payload.body, clientMessageId);
      if (!retry.ok) throw new Error(`retry failed: ${JSON.stringify(retry)}`);
      const copies = (await history(bob, direct)).filter(
        (m) => m.clientMessageId === clientMessageId,
      );
      expect(copies).toEqual([retry.data]);
      await waitFor('bob to get it', () => bobSaw.some((m) => m.id === retry.data.id));
      await noEvent(bobSocket, 'message:new', 300);
      expect(bobSaw.filter((m) => m.clientMessageId === clientMessageId)).toEqual([retry.data]);
      expect(acked).toBe(false);
    },
  );

  it("message:new reaches every socket of every member, the sender's other devices included; the sending socket gets the ack", async () => {
    const [alice, bob, carol] = [users[2], users[3], users[4]];
    const group = await groupOf(alice, [bob, carol], 'devices');
    const [phone, laptop, bobSocket, carolPhone, carolLaptop] = await Promise.all([
      connect(alice),
      connect(alice),
      connect(bob),
      connect(carol),
      connect(carol),
    ]);
    const others = [laptop, bobSocket, carolPhone, carolLaptop];
    const seen = others.map((socket) => recordEvents<MessageEvent>(socket, 'message:new'));
    const reply = await send(phone, group, 'from my phone');
    if (!reply.ok) throw new Error(`send failed: ${JSON.stringify(reply)}`);
    expect(reply.data).toMatchObject({ senderId: alice.id, body: 'from my phone', seq: 1 });
    await waitFor('every other socket to get it', () => seen.every((list) => list.length >= 1));
    await noEvent(laptop, 'message:new', 300);
    expect(seen).toEqual(others.map(() => [reply.data]));
  });

  it('unreadCount is exact after sends while a member was disconnected, reconnects and reads', async () => {
    const [alice, bob] = [users[5], users[6]];
    const group = await groupOf(alice, [bob], 'unread');
    const aliceSocket = await connect(alice);
    let bobSocket: ChatClient | undefined;
    const bobConnected = (): ChatClient => {
      if (!bobSocket?.connected) throw new Error('bob is not connected');
      return bobSocket;
    };
    let lastSeq = 0;
    let bobRead = 0;
    let aliceRead = 0;
    const expectCounts = async (): Promise<void> => {
      const [bobView, aliceView] = await Promise.all([viewOf(bob, group), viewOf(alice, group)]);
      expect(bobView).toMatchObject({
        lastSeq,
        lastReadSeq: bobRead,
        unreadCount: lastSeq - bobRead,
      });
      expect(aliceView).toMatchObject({ lastSeq, unreadCount: lastSeq - aliceRead });
    };
    const aliceSends = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i += 1) {
        const reply = await send(aliceSocket, group, `while away ${i}`);
        expect(reply).toMatchObject({ ok: true, data: { seq: lastSeq + 1 } });
        lastSeq += 1;
        aliceRead = lastSeq;
      }
    };
    const bobReads = async (seq: number): Promise<void> => {
      expect(
        await emitWithAck(bobConnected(), 'message:read', { conversationId: group, seq }),
      ).toEqual({ ok: true, data: { lastReadSeq: Math.max(bobRead, seq) } });
      bobRead = Math.max(bobRead, seq);
    };

    for (const [missed, readTo] of [
      [3, 2],
      [2, 0],
      [4, Number.POSITIVE_INFINITY],
    ] as const) {
      closeSocket(bobSocket);
      await aliceSends(missed);
      bobSocket = await connect(bob);
      await expectCounts();
      // Catching up after a reconnect: exactly what was missed.
      const caughtUp = await bob
        .get(`/conversations/${group}/messages?after=${lastSeq - missed}`)
        .expect(200);
      expect(caughtUp.body.data.map((m: MessageEvent) => m.seq)).toEqual(
        Array.from({ length: missed }, (_, i) => lastSeq - missed + 1 + i),
      );
      await bobReads(Math.min(lastSeq, bobRead + readTo));
      await expectCounts();
    }
    expect(bobRead).toBe(lastSeq);

    // Bob's own message moves his pointer, and is unread for alice only.
    const own = await send(bobConnected(), group, 'my own');
    expect(own.ok).toBe(true);
    lastSeq += 1;
    bobRead = lastSeq;
    await expectCounts();
    const aliceReads = await emitWithAck(aliceSocket, 'message:read', {
      conversationId: group,
      seq: lastSeq,
    });
    expect(aliceReads).toEqual({ ok: true, data: { lastReadSeq: lastSeq } });
    aliceRead = lastSeq;
    await expectCounts();
  });
});
