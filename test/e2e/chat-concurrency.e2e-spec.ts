import { ChatEvent } from '../../src/modules/chat/chat.events';
import type { MessageDto } from '../../src/modules/chat/chat.types';
import {
  DuplicateClientMessageId,
  MessagesRepository,
} from '../../src/modules/chat/messages.repository';
import { startTestApp, type TestApp } from '../support/app';
import { clientId, groupOf, recordChatEvents, signUpUsers, type ChatUser } from '../support/chat';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

/** Every message of the conversation, oldest first, through the API. */
async function allMessages(user: ChatUser, conversationId: string): Promise<MessageDto[]> {
  const found: MessageDto[] = [];
  let after = 0;
  for (;;) {
    const res = await user.get(
      `/conversations/${conversationId}/messages?after=${after}&limit=100`,
    );
    expect(res.status).toBe(200);
    found.push(...(res.body.data as MessageDto[]));
    if (!res.body.page.nextCursor) return found;
    after = Number(res.body.page.nextCursor);
  }
}

describe('chat: concurrency', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let alice: ChatUser;
  let bob: ChatUser;
  let carol: ChatUser;
  let races = 0;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    [alice, bob, carol] = await signUpUsers(t.url, smtp, 3);
    // Count the sends that lost the race on the unique (sender, clientMessageId) index.
    const repository = t.app.get(MessagesRepository);
    const insertNext = repository.insertNext.bind(repository);
    jest.spyOn(repository, 'insertNext').mockImplementation(async (input) => {
      try {
        return await insertNext(input);
      } catch (error) {
        if (error instanceof DuplicateClientMessageId) races += 1;
        throw error;
      }
    });
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t?.close();
    await smtp?.stop();
  });

  it('10 identical concurrent sends store one message and leave no seq gap (5 rounds)', async () => {
    const conversation = await groupOf(alice, [bob], 'idempotent race');
    const recorder = recordChatEvents(t.app);
    try {
      for (let round = 1; round <= 5; round += 1) {
        const clientMessageId = clientId('race');
        const results = await Promise.all(
          Array.from({ length: 10 }, () =>
            alice.post(`/conversations/${conversation}/messages`, {
              clientMessageId,
              body: `round ${round}`,
            }),
          ),
        );
        const statuses = results.map((res) => res.status).sort();
        expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
        const ids = new Set(results.map((res) => res.body.data.id));
        expect(ids.size).toBe(1);
        expect(new Set(results.map((res) => res.body.data.seq))).toEqual(new Set([round]));
      }
      const messages = await allMessages(bob, conversation);
      expect(messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
      const view = await bob.get(`/conversations/${conversation}`);
      expect(view.body.data.lastSeq).toBe(5);
      const created = recorder.named(ChatEvent.MessageCreated);
      expect(created).toHaveLength(5);
      expect(created.map((event) => (event.payload as MessageDto).seq)).toEqual([1, 2, 3, 4, 5]);
    } finally {
      recorder.stop();
    }
    // The rollback path (not just the pre-check) was exercised at least once.
    expect(races).toBeGreaterThan(0);
  });

  it('20 concurrent sends from 3 members get exactly the seqs 1..20', async () => {
    const conversation = await groupOf(alice, [bob, carol], 'gapless');
    const senders = [alice, bob, carol];
    const recorder = recordChatEvents(t.app);
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          senders[i % 3].post(`/conversations/${conversation}/messages`, {
            clientMessageId: clientId('gapless'),
            body: `message ${i}`,
          }),
        ),
      );
      expect(results.every((res) => res.status === 201)).toBe(true);
      const seqs = results.map((res) => res.body.data.seq as number).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const stored = await allMessages(carol, conversation);
      expect(stored.map((m) => m.seq)).toEqual(seqs);
      expect(new Set(stored.map((m) => m.body)).size).toBe(20);
      const created = recorder.named(ChatEvent.MessageCreated);
      expect(created).toHaveLength(20);
      for (const event of created) {
        expect(event.recipients.sort()).toEqual([alice.id, bob.id, carol.id].sort());
      }
      // Each sender's read pointer is at least their own newest message.
      for (const sender of senders) {
        const mine = stored.filter((m) => m.senderId === sender.id).map((m) => m.seq);
        const view = await sender.get(`/conversations/${conversation}`);
        expect(view.body.data.lastReadSeq).toBe(Math.max(...mine));
        expect(view.body.data.unreadCount).toBe(20 - Math.max(...mine));
      }
    } finally {
      recorder.stop();
    }
  });

  it('retries mixed into concurrent distinct sends still leave no gap', async () => {
    const conversation = await groupOf(alice, [bob, carol], 'mixed');
    const shared = clientId('shared');
    const results = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        i % 3 === 0
          ? alice.post(`/conversations/${conversation}/messages`, {
              clientMessageId: shared,
              body: 'once',
            })
          : [bob, carol][i % 2].post(`/conversations/${conversation}/messages`, {
              clientMessageId: clientId('distinct'),
              body: `distinct ${i}`,
            }),
      ),
    );
    expect(results.every((res) => res.status === 200 || res.status === 201)).toBe(true);
    const stored = await allMessages(alice, conversation);
    // 10 distinct messages + one for the 5 identical sends.
    expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(stored.filter((m) => m.clientMessageId === shared)).toHaveLength(1);
  });
});
