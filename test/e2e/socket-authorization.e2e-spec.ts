import { io, type Socket } from 'socket.io-client';
import { startTestApp, type TestApp } from '../support/app';
import { ALLOWED_ORIGIN } from '../support/auth';
import { asUser, clientId, directBetween, groupOf, type ChatUser } from '../support/chat';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import {
  closeAllSockets,
  connectSocket,
  emitWithAck,
  nextEvent,
  noEvent,
  type ChatClient,
} from '../support/socket';
import { signUpClient } from '../support/users';
import { withDeadline } from '../support/wait';

interface Received {
  event: string;
  payload: unknown;
}

/** A handshake built by hand (query strings, URLs), resolving with the connect_error's data. */
async function handshakeOutcome(
  url: string,
  options: { query?: Record<string, string>; auth?: Record<string, unknown>; polling?: boolean },
): Promise<{ connected: boolean; code?: string; message?: string }> {
  const socket: Socket = io(url, {
    query: options.query,
    auth: options.auth,
    transports: [options.polling ? 'polling' : 'websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5_000,
    extraHeaders: options.polling ? { Origin: ALLOWED_ORIGIN } : undefined,
  });
  try {
    return await withDeadline(
      'the handshake outcome',
      new Promise((resolve) => {
        socket.once('connect', () => resolve({ connected: true }));
        socket.once(
          'connect_error',
          (error: Error & { data?: { code?: string; message?: string } }) =>
            resolve({ connected: false, code: error.data?.code, message: error.data?.message }),
        );
      }),
      6_000,
    );
  } finally {
    socket.close();
  }
}

describe('socket: handshake credentials and per-event authorization', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let alice: ChatUser;
  let bob: ChatUser;
  let carol: ChatUser;

  const signUp = async (): Promise<ChatUser> =>
    asUser(t.url, (await signUpClient(t.url, smtp)).session);
  const connect = (user: ChatUser): Promise<ChatClient> =>
    connectSocket(t.url, { token: user.session.accessToken });

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    [alice, bob, carol] = await Promise.all([signUp(), signUp(), signUp()]);
  });
  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
    await smtp?.stop();
  });

  it('refuses tokens in the query string, alone or beside a valid auth.token, on both transports', async () => {
    const token = alice.session.accessToken;
    const cases: [string, Parameters<typeof handshakeOutcome>[1], string?][] = [
      ['query: { token }', { query: { token } }],
      ['?token= in the URL', {}, `?token=${encodeURIComponent(token)}`],
      ['query: { access_token }', { query: { access_token: token } }],
      ['query: { Authorization }', { query: { Authorization: `Bearer ${token}` } }],
      ['query token beside a valid auth.token', { query: { token }, auth: { token } }],
      ['query token over polling', { query: { token }, polling: true }],
    ];
    for (const [name, options, suffix] of cases) {
      const outcome = await handshakeOutcome(`${t.url}/${suffix ?? ''}`, options);
      expect({ name, outcome }).toEqual({
        name,
        outcome: { connected: false, code: 'UNAUTHORIZED', message: expect.any(String) },
      });
    }
    // The same token where it belongs is accepted, with harmless query parameters around it.
    expect(await handshakeOutcome(t.url, { auth: { token }, query: { lang: 'ur' } })).toEqual({
      connected: true,
    });
  });

  it('a member removed from a group is refused every event in it at once, and receives none of its events', async () => {
    const group = await groupOf(alice, [bob, carol], 'authz');
    const direct = await directBetween(carol, alice);
    const [aliceSocket, bobSocket, carolSocket] = await Promise.all([
      connect(alice),
      connect(bob),
      connect(carol),
    ]);

    // Before the removal carol may do everything, and alice is typing where carol sees it.
    const carolSeesTyping = nextEvent(
      carolSocket,
      'typing',
      (p: { userId: string; isTyping: boolean }) => p.userId === alice.id && p.isTyping,
    );
    expect(await emitWithAck(aliceSocket, 'typing:start', { conversationId: group })).toEqual({
      ok: true,
      data: null,
    });
    await carolSeesTyping;
    const sent = await emitWithAck<{ seq: number }>(carolSocket, 'message:send', {
      conversationId: group,
      clientMessageId: clientId(),
      body: 'before',
    });
    if (!sent.ok) throw new Error(`send failed: ${JSON.stringify(sent)}`);
    expect(await emitWithAck(carolSocket, 'typing:start', { conversationId: group })).toEqual({
      ok: true,
      data: null,
    });

    const removed = nextEvent(
      carolSocket,
      'member:removed',
      (p: { userId: string }) => p.userId === carol.id,
    );
    await alice.delete(`/conversations/${group}/members/${carol.id}`).expect(200);
    await removed;
    // From here on, carol's socket must get nothing of the group.
    const leaked: Received[] = [];
    (carolSocket as unknown as Socket).onAny((event: string, payload: unknown) => {
      const about = (payload as { conversationId?: string; id?: string } | null) ?? {};
      if (about.conversationId === group || about.id === group) leaked.push({ event, payload });
    });

    // Every event is checked against the membership of now, repeats within the typing window too.
    const notFound = {
      ok: false,
      error: { code: 'CONVERSATION_NOT_FOUND', message: expect.any(String) },
    };
    const carolEnds = nextEvent(
      bobSocket,
      'typing',
      (p: { userId: string; isTyping: boolean }) => p.userId === carol.id && !p.isTyping,
    );
    for (const [event, payload] of [
      ['message:send', { conversationId: group, clientMessageId: clientId(), body: 'after' }],
      ['message:read', { conversationId: group, seq: sent.data.seq }],
      ['typing:start', { conversationId: group }],
      ['typing:stop', { conversationId: group }],
    ] as const) {
      expect({ event, reply: await emitWithAck(carolSocket, event, payload) }).toEqual({
        event,
        reply: notFound,
      });
    }
    // The indicator bob saw for carol was ended, not left hanging.
    expect(await carolEnds).toEqual({ conversationId: group, userId: carol.id, isTyping: false });

    // The group carries on: typing (started before the removal), messages, receipts, renames.
    const bobTypingOff = nextEvent(
      bobSocket,
      'typing',
      (p: { userId: string; isTyping: boolean }) => p.userId === alice.id && !p.isTyping,
    );
    await emitWithAck(aliceSocket, 'typing:stop', { conversationId: group });
    await bobTypingOff;
    const bobTypingOn = nextEvent(
      bobSocket,
      'typing',
      (p: { userId: string; isTyping: boolean }) => p.userId === alice.id && p.isTyping,
    );
    await emitWithAck(aliceSocket, 'typing:start', { conversationId: group });
    await bobTypingOn;
    const bobGets = nextEvent<{ seq: number; conversationId: string }>(
      bobSocket,
      'message:new',
      (m) => m.conversationId === group,
    );
    const after = await emitWithAck<{ seq: number }>(aliceSocket, 'message:send', {
      conversationId: group,
      clientMessageId: clientId(),
      body: 'carol is gone',
    });
    expect(after.ok).toBe(true);
    const { seq } = await bobGets;
    const receipt = nextEvent(
      aliceSocket,
      'receipt:read',
      (r: { userId: string }) => r.userId === bob.id,
    );
    expect(await emitWithAck(bobSocket, 'message:read', { conversationId: group, seq })).toEqual({
      ok: true,
      data: { lastReadSeq: seq },
    });
    await receipt;
    const renamed = nextEvent(
      bobSocket,
      'conversation:updated',
      (c: { id: string }) => c.id === group,
    );
    await alice.patch(`/conversations/${group}`, { name: 'without carol' }).expect(200);
    await renamed;
    await emitWithAck(aliceSocket, 'typing:stop', { conversationId: group });
    await noEvent(carolSocket, 'typing', 300);
    expect(leaked).toEqual([]);

    // Still connected and served everywhere else.
    expect(carolSocket.connected).toBe(true);
    expect(
      await emitWithAck(carolSocket, 'message:send', {
        conversationId: direct,
        clientMessageId: clientId(),
        body: 'still here',
      }),
    ).toMatchObject({ ok: true });
  });
});
