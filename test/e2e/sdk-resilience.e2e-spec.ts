import { EventEmitter2 } from '@nestjs/event-emitter';
import type { ConnectionState, MessageDto } from '../../sdk/src';
import { ChatEvent, type Fanout } from '../../src/modules/chat/chat.events';
import { userRoom, WsServer } from '../../src/modules/chat/ws-server';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { closeAllSdkClients, signUpSdk, type SdkUser } from '../support/sdk';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait';

const seqs = (messages: MessageDto[]): number[] => messages.map((m) => m.seq);
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Alice talks to the server directly; Bob's SDK client goes through a TCP proxy the test can cut
 * (a dropped connection: Wi-Fi gone, a load balancer restarting). PostgreSQL sits behind another
 * proxy, for outages that the server answers with DEPENDENCY_UNAVAILABLE.
 */
describe('SDK reconnects, catch-up and send retries against the real server', () => {
  let smtp: TestSmtpServer;
  let database: TestDatabase;
  let dbProxy: TcpProxy;
  let appProxy: TcpProxy;
  let t: TestApp;
  let alice: SdkUser;
  let bob: SdkUser;
  let conversationId: string;
  const toBob: MessageDto[] = [];
  const bobStates: ConnectionState[] = [];

  beforeAll(async () => {
    smtp = await startSmtpServer();
    database = await createTestDatabase();
    const viaProxy = new URL(database.url);
    dbProxy = await startTcpProxy({ host: viaProxy.hostname, port: Number(viaProxy.port || 5432) });
    viaProxy.port = String(dbProxy.port);
    t = await startTestApp({
      env: {
        DATABASE_URL: viaProxy.toString(),
        DATABASE_MIGRATE_ON_START: 'false',
        SMTP_URL: smtp.url,
        MAIL_RETRY_BASE_MS: '50',
      },
    });
    appProxy = await startTcpProxy({ port: Number(new URL(t.url).port) });
    const fast = { reconnectBackoff: { initialMs: 100, maxMs: 1_000 } };
    [alice, bob] = await Promise.all([
      signUpSdk(t.url, smtp),
      signUpSdk(`http://127.0.0.1:${appProxy.port}`, smtp, { socket: fast }),
    ]);
    conversationId = (await alice.client.conversations.createDirect(bob.user.id)).id;
    await Promise.all([alice.client.connect(), bob.client.connect()]);
    bob.client.realtime.onStateChange((state) => bobStates.push(state));
    bob.client.track(conversationId, { afterSeq: 0, onMessage: (m) => toBob.push(m) });
  });
  afterAll(async () => {
    closeAllSdkClients();
    await t?.close();
    await appProxy?.close();
    await dbProxy?.close();
    await database?.drop();
    await smtp?.stop();
  });

  const aliceSends = async (count: number, gapMs = 0): Promise<MessageDto[]> => {
    const sent: MessageDto[] = [];
    for (let i = 0; i < count; i += 1) {
      sent.push(await alice.client.sendMessage({ conversationId, body: `from alice ${i}` }));
      if (gapMs) await pause(gapMs);
    }
    return sent;
  };

  it('delivers every message exactly once, in seq order, across a dropped connection', async () => {
    await aliceSends(3);
    await waitFor('the first three', () => toBob.length === 3, { timeoutMs: 10_000 });

    await appProxy.cut();
    await waitFor('Bob to notice the drop', () => bobStates.includes('reconnecting'));
    await aliceSends(4); // while Bob is offline
    const duringReconnect = aliceSends(4, 50); // while Bob reconnects and catches up
    await appProxy.restore();
    const sent = await duringReconnect;

    const last = sent[sent.length - 1].seq;
    await waitFor('Bob to have everything', () => toBob.at(-1)?.seq === last, {
      timeoutMs: 20_000,
    });
    expect(last).toBe(11);
    expect(seqs(toBob)).toEqual(range(1, 11));
    expect(new Set(toBob.map((m) => m.id)).size).toBe(11);
    expect(bob.client.realtime.state).toBe('connected');
  });

  it('reconnects by itself after a server-side disconnect and catches up', async () => {
    const before = toBob.length;
    const server = t.app.get(WsServer).attached!;
    bobStates.length = 0;
    server.in(userRoom(bob.user.id)).disconnectSockets(true);
    const sent = await aliceSends(3);
    await waitFor('Bob to catch up', () => toBob.at(-1)?.seq === sent[2].seq, {
      timeoutMs: 20_000,
    });
    expect(bobStates).toContain('reconnecting');
    expect(seqs(toBob)).toEqual(range(1, before + 3));
  });

  it('retries a send whose ack was lost with the connection: exactly one message is stored', async () => {
    const clientMessageId = `lost-ack-${Date.now()}`;
    const emitter = t.app.get(EventEmitter2);
    let cut = false;
    const onCreated = (event: Fanout<MessageDto>): void => {
      if (event.payload.clientMessageId !== clientMessageId || cut) return;
      // Committed, ack not yet written: drop the connection so the ack never arrives.
      cut = true;
      void appProxy.cut().then(() => pause(300).then(() => appProxy.restore()));
    };
    emitter.on(ChatEvent.MessageCreated, onCreated);
    try {
      const message = await bob.client.sendMessage(
        { conversationId, clientMessageId, body: 'sent once' },
        { ackTimeoutMs: 3_000 },
      );
      expect(cut).toBe(true);
      expect(message.clientMessageId).toBe(clientMessageId);
      const stored = await alice.client.messages.list(conversationId, { after: 0, limit: 100 });
      expect(stored.items.filter((m) => m.clientMessageId === clientMessageId)).toHaveLength(1);
      expect(stored.items.at(-1)?.id).toBe(message.id);
    } finally {
      emitter.off(ChatEvent.MessageCreated, onCreated);
    }
  });

  it('retries DEPENDENCY_UNAVAILABLE acks until PostgreSQL is back: exactly one message is stored', async () => {
    const socket = alice.client.realtime.raw!;
    let emits = 0;
    const count = (event: string): void => {
      if (event === 'message:send') emits += 1;
    };
    socket.onAnyOutgoing(count);
    const clientMessageId = `outage-${Date.now()}`;
    await dbProxy.cut();
    let sending: Promise<MessageDto> | undefined;
    try {
      sending = alice.client.sendMessage({
        conversationId,
        clientMessageId,
        body: 'during the outage',
      });
      await waitFor('a retried send', () => emits >= 2, { timeoutMs: 15_000 });
    } finally {
      await dbProxy.restore();
    }
    const message = await sending;
    socket.offAnyOutgoing(count);
    expect(message.clientMessageId).toBe(clientMessageId);
    const stored = await alice.client.messages.list(conversationId, { after: 0, limit: 100 });
    expect(stored.items.filter((m) => m.clientMessageId === clientMessageId)).toHaveLength(1);
    await waitFor('Bob to get it once', () => toBob.at(-1)?.id === message.id, {
      timeoutMs: 10_000,
    });
    expect(seqs(toBob)).toEqual(range(1, message.seq));
  });
});
