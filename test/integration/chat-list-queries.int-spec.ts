import { DatabaseConnection } from '../../src/infra/database/database.connection';
import { ConversationsService } from '../../src/modules/chat/conversations.service';
import { MessagesService } from '../../src/modules/chat/messages.service';
import { ReactionsService } from '../../src/modules/chat/reactions.service';
import { startTestApp, type TestApp } from '../support/app';
import { clientId, groupOf, sendText, signUpUsers, type ChatUser } from '../support/chat';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

/**
 * "No N+1": the SQL statements one request costs must not grow with what it returns. Statements
 * are counted where Drizzle sends them (DatabaseConnection.onQuery), BEGIN/COMMIT included.
 */
describe('chat: statements per request', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let owner: ChatUser;
  let peers: ChatUser[];

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    [owner, ...peers] = await signUpUsers(t.url, smtp, 4);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  /** Runs `request` and returns how many statements it sent, with its response. */
  async function counted<T>(
    request: () => Promise<T>,
  ): Promise<{ statements: string[]; result: T }> {
    const statements: string[] = [];
    const stop = t.app.get(DatabaseConnection).onQuery((query) => statements.push(query));
    try {
      const result = await request();
      return { statements, result };
    } finally {
      stop();
    }
  }

  /**
   * Creates `count` groups of the owner with all peers, each with a message, some with reactions.
   * Seeded through the services (the REST layer is what the counted requests exercise).
   */
  async function addGroups(count: number, offset: number): Promise<void> {
    const conversations = t.app.get(ConversationsService);
    const messages = t.app.get(MessagesService);
    const reactions = t.app.get(ReactionsService);
    const batch = 25;
    for (let start = 0; start < count; start += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, count - start) }, async (_, i) => {
          const n = offset + start + i;
          const group = await conversations.createGroup(owner.id, {
            name: `g${n}`,
            memberIds: peers.map((peer) => peer.id),
          });
          const { message } = await messages.send(peers[n % peers.length].id, {
            conversationId: group.id,
            clientMessageId: clientId('seed'),
            body: `hello ${n}`,
          });
          if (n % 5 === 0) await reactions.set(owner.id, group.id, message.id, '👍', true);
        }),
      );
    }
  }

  it('GET /conversations costs the same number of statements for 5 and for 200 conversations', async () => {
    await addGroups(5, 0);
    const small = await counted(() => owner.get('/conversations?limit=50'));
    expect(small.result.status).toBe(200);
    expect(small.result.body.data).toHaveLength(5);
    const reacted = small.result.body.data.find((c: { name: string }) => c.name === 'g0');
    expect(reacted.lastMessage.reactions).toEqual([{ emoji: '👍', count: 1, userIds: [owner.id] }]);
    expect(small.result.body.data[0].members).toHaveLength(4);

    await addGroups(195, 5);
    const large = await counted(() => owner.get('/conversations?limit=50'));
    expect(large.result.status).toBe(200);
    expect(large.result.body.data).toHaveLength(50);
    const next = await counted(() =>
      owner.get(
        `/conversations?limit=50&cursor=${encodeURIComponent(large.result.body.page.nextCursor)}`,
      ),
    );
    expect(next.result.body.data).toHaveLength(50);

    expect(large.statements.length).toBe(small.statements.length);
    expect(next.statements.length).toBe(small.statements.length);
    // Page, members of the page, their profiles: a small constant, whatever the page holds.
    expect(small.statements.length).toBeLessThanOrEqual(4);
  });

  it('a page of history costs the same for 5 and for 100 messages with reactions', async () => {
    const id = await groupOf(owner, peers, 'history');
    const react = async (messageId: string, user: ChatUser, emoji: string) =>
      user.put(`/conversations/${id}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`);
    for (let start = 0; start < 100; start += 10) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const sent = await sendText(peers[i % peers.length], id, `m${start + i}`);
          await Promise.all([react(sent.id, owner, '👍'), react(sent.id, peers[0], '🎉')]);
        }),
      );
    }
    const small = await counted(() => owner.get(`/conversations/${id}/messages?limit=5`));
    const large = await counted(() => owner.get(`/conversations/${id}/messages?limit=100`));
    expect(small.result.body.data).toHaveLength(5);
    expect(large.result.body.data).toHaveLength(100);
    expect(large.result.body.data[99].reactions).toHaveLength(2);
    expect(large.statements.length).toBe(small.statements.length);
    expect(small.statements.length).toBeLessThanOrEqual(2);
  });
});
