import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ChatEvent } from '../../src/modules/chat/chat.events';
import { startTestApp, type TestApp } from '../support/app';
import {
  directBetween,
  groupOf,
  recordChatEvents,
  sendText,
  signUpUsers,
  type ChatUser,
} from '../support/chat';
import { hostileBodies } from '../support/auth';
import { expectErrorEnvelope } from '../support/envelope';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

describe('chat: conversations', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let alice: ChatUser;
  let bob: ChatUser;
  let carol: ChatUser;
  let dave: ChatUser;
  let erin: ChatUser;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    [alice, bob, carol, dave, erin] = await signUpUsers(t.url, smtp, 5);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  describe('direct', () => {
    it('is created once (201) and found again (200) by either user, with both members', async () => {
      const first = await alice.post('/conversations', { type: 'direct', userId: bob.id });
      expect(first.status).toBe(201);
      const conversation = first.body.data;
      expect(conversation).toEqual({
        id: expect.any(String),
        type: 'direct',
        name: null,
        avatarUrl: null,
        members: expect.any(Array),
        lastMessage: null,
        lastSeq: 0,
        lastReadSeq: 0,
        unreadCount: 0,
        updatedAt: expect.any(String),
        createdAt: expect.any(String),
      });
      expect(conversation.members.map((m: { userId: string }) => m.userId).sort()).toEqual(
        [alice.id, bob.id].sort(),
      );
      const member = conversation.members.find((m: { userId: string }) => m.userId === bob.id);
      expect(member).toEqual({
        userId: bob.id,
        username: bob.session.credentials.username,
        avatarUrl: null,
        role: 'member',
        joinedAt: expect.any(String),
      });

      const again = await alice.post('/conversations', { type: 'direct', userId: bob.id });
      expect(again.status).toBe(200);
      expect(again.body.data.id).toBe(conversation.id);
      const reverse = await bob.post('/conversations', { type: 'direct', userId: alice.id });
      expect(reverse.status).toBe(200);
      expect(reverse.body.data.id).toBe(conversation.id);
    });

    it('two users opening it at the same moment get one conversation (repeated)', async () => {
      const pairs: [ChatUser, ChatUser][] = [
        [carol, dave],
        [carol, erin],
        [dave, erin],
      ];
      for (const [a, b] of pairs) {
        const results = await Promise.all([
          a.post('/conversations', { type: 'direct', userId: b.id }),
          b.post('/conversations', { type: 'direct', userId: a.id }),
          a.post('/conversations', { type: 'direct', userId: b.id }),
          b.post('/conversations', { type: 'direct', userId: a.id }),
        ]);
        const ids = new Set(results.map((res) => res.body.data.id));
        expect(ids.size).toBe(1);
        expect(results.map((res) => res.status).sort()).toEqual([200, 200, 200, 201]);
      }
    });

    it('refuses yourself (422), unknown users (404) and bad ids (422)', async () => {
      const self = await alice.post('/conversations', { type: 'direct', userId: alice.id });
      expectErrorEnvelope(self, 422, 'VALIDATION_FAILED');
      const unknown = await alice.post('/conversations', {
        type: 'direct',
        userId: randomUUID(),
      });
      expectErrorEnvelope(unknown, 404, 'USER_NOT_FOUND');
      const bad = await alice.post('/conversations', { type: 'direct', userId: 'nope' });
      expectErrorEnvelope(bad, 422, 'VALIDATION_FAILED');
      const missing = await alice.post('/conversations', { type: 'direct' });
      expectErrorEnvelope(missing, 422, 'VALIDATION_FAILED');
    });

    it('is refused like an unknown user when either has blocked the other', async () => {
      const [blocker, blocked] = await signUpUsers(t.url, smtp, 2);
      const block = await blocker.post('/users/me/blocks', { userId: blocked.id });
      expect([200, 201]).toContain(block.status);
      const fromBlocked = await blocked.post('/conversations', {
        type: 'direct',
        userId: blocker.id,
      });
      expectErrorEnvelope(fromBlocked, 404, 'USER_NOT_FOUND');
      const fromBlocker = await blocker.post('/conversations', {
        type: 'direct',
        userId: blocked.id,
      });
      expectErrorEnvelope(fromBlocker, 404, 'USER_NOT_FOUND');
    });
  });

  describe('groups', () => {
    it('are created with the creator as owner and announced to every member', async () => {
      const recorder = recordChatEvents(t.app);
      try {
        const res = await alice.post('/conversations', {
          type: 'group',
          name: '  Weekend plans  ',
          memberIds: [bob.id, carol.id],
        });
        expect(res.status).toBe(201);
        const group = res.body.data;
        expect(group.type).toBe('group');
        expect(group.name).toBe('Weekend plans');
        const roles = Object.fromEntries(
          group.members.map((m: { userId: string; role: string }) => [m.userId, m.role]),
        );
        expect(roles).toEqual({ [alice.id]: 'owner', [bob.id]: 'member', [carol.id]: 'member' });
        const updated = recorder.named(ChatEvent.ConversationUpdated);
        expect(updated).toHaveLength(1);
        expect(updated[0].recipients.sort()).toEqual([alice.id, bob.id, carol.id].sort());
      } finally {
        recorder.stop();
      }
    });

    it('validate name, member ids and fields of the other type', async () => {
      const cases: [string, unknown][] = [
        ['whitespace name', { type: 'group', name: '   ', memberIds: [] }],
        ['101-char name', { type: 'group', name: 'x'.repeat(101), memberIds: [] }],
        ['missing name', { type: 'group', memberIds: [] }],
        ['duplicated member', { type: 'group', name: 'g', memberIds: [bob.id, bob.id] }],
        ['bad member id', { type: 'group', name: 'g', memberIds: ['x'] }],
        [
          '257 members',
          { type: 'group', name: 'g', memberIds: Array.from({ length: 257 }, randomUUID) },
        ],
        ['userId on a group', { type: 'group', name: 'g', memberIds: [], userId: bob.id }],
        ['name on a direct', { type: 'direct', userId: bob.id, name: 'x' }],
        ['unknown type', { type: 'channel', name: 'g' }],
        ['unknown field', { type: 'group', name: 'g', memberIds: [], isAdmin: true }],
      ];
      for (const [name, body] of cases) {
        const res = await alice.post('/conversations', body);
        expect({ name, status: res.status }).toEqual({ name, status: 422 });
        expectErrorEnvelope(res, 422, 'VALIDATION_FAILED');
      }
      const unknownMember = await alice.post('/conversations', {
        type: 'group',
        name: 'g',
        memberIds: [bob.id, randomUUID()],
      });
      expectErrorEnvelope(unknownMember, 404, 'USER_NOT_FOUND');
    });

    it('are renamed by owners and admins only; an unknown avatar id is refused', async () => {
      const id = await groupOf(alice, [bob, carol], 'before');
      const renamed = await alice.patch(`/conversations/${id}`, { name: ' after ' });
      expect(renamed.status).toBe(200);
      expect(renamed.body.data.name).toBe('after');
      expectErrorEnvelope(
        await bob.patch(`/conversations/${id}`, { name: 'mine now' }),
        403,
        'INSUFFICIENT_ROLE',
      );
      expectErrorEnvelope(
        await alice.patch(`/conversations/${id}`, { avatarMediaId: randomUUID() }),
        422,
        'MEDIA_NOT_READY',
      );
      expectErrorEnvelope(
        await alice.patch(`/conversations/${id}`, { name: '' }),
        422,
        'VALIDATION_FAILED',
      );
      expectErrorEnvelope(
        await dave.patch(`/conversations/${id}`, { name: 'outsider' }),
        404,
        'CONVERSATION_NOT_FOUND',
      );
      const direct = await directBetween(alice, bob);
      expectErrorEnvelope(
        await alice.patch(`/conversations/${direct}`, { name: 'x' }),
        422,
        'CONVERSATION_NOT_GROUP',
      );
    });
  });

  describe('reading', () => {
    it('GET /:id answers members only; everyone else, and unknown ids, get 404', async () => {
      const id = await groupOf(alice, [bob]);
      expect((await bob.get(`/conversations/${id}`)).status).toBe(200);
      expectErrorEnvelope(await carol.get(`/conversations/${id}`), 404, 'CONVERSATION_NOT_FOUND');
      expectErrorEnvelope(
        await carol.get(`/conversations/${randomUUID()}`),
        404,
        'CONVERSATION_NOT_FOUND',
      );
      expectErrorEnvelope(await carol.get('/conversations/not-a-uuid'), 422, 'VALIDATION_FAILED');
    });

    it('every route needs a token', async () => {
      const id = randomUUID();
      const anonymous = [
        request(t.url).get('/api/v1/conversations'),
        request(t.url).post('/api/v1/conversations').send({ type: 'direct', userId: bob.id }),
        request(t.url).get(`/api/v1/conversations/${id}`),
        request(t.url).patch(`/api/v1/conversations/${id}`).send({ name: 'x' }),
        request(t.url)
          .post(`/api/v1/conversations/${id}/members`)
          .send({ userIds: [bob.id] }),
        request(t.url).delete(`/api/v1/conversations/${id}/members/${bob.id}`),
        request(t.url)
          .patch(`/api/v1/conversations/${id}/members/${bob.id}`)
          .send({ role: 'admin' }),
        request(t.url).get(`/api/v1/conversations/${id}/messages`),
        request(t.url)
          .post(`/api/v1/conversations/${id}/messages`)
          .send({ clientMessageId: 'a', body: 'b' }),
        request(t.url).patch(`/api/v1/conversations/${id}/messages/${id}`).send({ body: 'b' }),
        request(t.url).delete(`/api/v1/conversations/${id}/messages/${id}`),
        request(t.url).put(
          `/api/v1/conversations/${id}/messages/${id}/reactions/${encodeURIComponent('👍')}`,
        ),
        request(t.url).delete(
          `/api/v1/conversations/${id}/messages/${id}/reactions/${encodeURIComponent('👍')}`,
        ),
        request(t.url).post(`/api/v1/conversations/${id}/read`).send({ seq: 1 }),
      ];
      for (const res of await Promise.all(anonymous)) expectErrorEnvelope(res, 401, 'UNAUTHORIZED');
    });

    it('lists by latest activity with unread counts, paginated by an opaque cursor', async () => {
      const [owner, peer] = await signUpUsers(t.url, smtp, 2);
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) ids.push(await groupOf(owner, [peer], `g${i}`));
      // Activity order: g1 (newest message), g3, then the rest by creation, newest first.
      await sendText(owner, ids[3], 'three');
      await sendText(peer, ids[1], 'one');
      await sendText(peer, ids[1], 'one again');
      const expected = [ids[1], ids[3], ids[4], ids[2], ids[0]];

      const firstPage = await owner.get('/conversations?limit=2');
      expect(firstPage.status).toBe(200);
      expect(firstPage.body.data.map((c: { id: string }) => c.id)).toEqual(expected.slice(0, 2));
      const top = firstPage.body.data[0];
      expect(top).toMatchObject({ lastSeq: 2, lastReadSeq: 0, unreadCount: 2 });
      expect(top.lastMessage).toMatchObject({ body: 'one again', seq: 2, senderId: peer.id });
      expect(firstPage.body.data[1]).toMatchObject({ lastSeq: 1, lastReadSeq: 1, unreadCount: 0 });
      expect(typeof firstPage.body.page.nextCursor).toBe('string');

      const seen = [...firstPage.body.data.map((c: { id: string }) => c.id)];
      let cursor: string | null = firstPage.body.page.nextCursor;
      while (cursor) {
        const page = await owner.get(`/conversations?limit=2&cursor=${encodeURIComponent(cursor)}`);
        expect(page.status).toBe(200);
        seen.push(...page.body.data.map((c: { id: string }) => c.id));
        cursor = page.body.page.nextCursor;
      }
      expect(seen).toEqual(expected);

      const peerView = await peer.get('/conversations?limit=50');
      expect(peerView.body.data.map((c: { id: string }) => c.id)).toEqual(expected);
      expect(peerView.body.data[1]).toMatchObject({ unreadCount: 1 });
    });

    it('answers hostile bodies with 4xx, never 500', async () => {
      const id = await groupOf(alice, [bob]);
      const targets: [string, Record<string, unknown>][] = [
        ['/conversations', { type: 'group', name: 'g', memberIds: [] }],
        [`/conversations/${id}/messages`, { clientMessageId: 'hostile', body: 'x' }],
        [`/conversations/${id}/read`, { seq: 0 }],
        [`/conversations/${id}/members`, { userIds: [carol.id] }],
      ];
      for (const [path, valid] of targets) {
        for (const hostile of hostileBodies(valid)) {
          const res = await request(t.url)
            .post(`/api/v1${path}`)
            .set('Authorization', `Bearer ${alice.session.accessToken}`)
            .set('Content-Type', 'application/json')
            .send(hostile.raw);
          expect({ path, name: hostile.name, status: res.status }).toEqual({
            path,
            name: hostile.name,
            status: hostile.status,
          });
          expectErrorEnvelope(res, hostile.status, hostile.code);
        }
      }
    });

    it('refuses malformed list queries', async () => {
      for (const query of [
        'limit=0',
        'limit=51',
        'limit=abc',
        'limit=1.5',
        'limit=-1',
        'limit=1&limit=2',
        'cursor=',
        'cursor=garbage!',
        `cursor=${Buffer.from('["c1","2020-01-01T00:00:00.000Z","x"]').toString('base64url')}`,
        'sort=name',
      ]) {
        const res = await alice.get(`/conversations?${query}`);
        expect({ query, status: res.status }).toEqual({ query, status: 422 });
        expectErrorEnvelope(res, 422, 'VALIDATION_FAILED');
      }
    });
  });
});
