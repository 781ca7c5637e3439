import { randomUUID } from 'node:crypto';
import { ChatEvent } from '../../src/modules/chat/chat.events';
import type { MessageDto } from '../../src/modules/chat/chat.types';
import { startTestApp, type TestApp } from '../support/app';
import {
  clientId,
  directBetween,
  groupOf,
  recordChatEvents,
  sendText,
  signUpUsers,
  type ChatUser,
} from '../support/chat';
import { expectErrorEnvelope } from '../support/envelope';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

const enc = encodeURIComponent;

describe('chat: messages', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let alice: ChatUser;
  let bob: ChatUser;
  let carol: ChatUser;
  let mallory: ChatUser;
  let group: string;
  let direct: string;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    [alice, bob, carol, mallory] = await signUpUsers(t.url, smtp, 4);
    group = await groupOf(alice, [bob, carol], 'messages');
    direct = await directBetween(alice, bob);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  const messagesOf = (id: string) => `/conversations/${id}/messages`;

  describe('sending', () => {
    it('stores a message (201) and a retry with the same clientMessageId returns it (200)', async () => {
      const recorder = recordChatEvents(t.app);
      try {
        const clientMessageId = clientId();
        const first = await alice.post(messagesOf(group), {
          clientMessageId,
          body: '  hello there  ',
        });
        expect(first.status).toBe(201);
        const message: MessageDto = first.body.data;
        expect(message).toEqual({
          id: expect.any(String),
          conversationId: group,
          seq: expect.any(Number),
          senderId: alice.id,
          clientMessageId,
          body: 'hello there',
          replyToId: null,
          attachments: [],
          reactions: [],
          editedAt: null,
          deletedAt: null,
          createdAt: expect.any(String),
        });
        const retry = await alice.post(messagesOf(group), { clientMessageId, body: 'changed?' });
        expect(retry.status).toBe(200);
        expect(retry.body.data).toEqual(message);

        const created = recorder.named(ChatEvent.MessageCreated);
        expect(created).toHaveLength(1);
        expect(created[0].recipients.sort()).toEqual([alice.id, bob.id, carol.id].sort());
        expect(created[0].payload).toEqual(message);
      } finally {
        recorder.stop();
      }
    });

    it("moves the sender's own read pointer, so their messages never count as unread", async () => {
      const sent = await sendText(bob, group, 'read by me');
      const bobsView = await bob.get(`/conversations/${group}`);
      expect(bobsView.body.data).toMatchObject({
        lastSeq: sent.seq,
        lastReadSeq: sent.seq,
        unreadCount: 0,
      });
      const carolsView = await carol.get(`/conversations/${group}`);
      expect(carolsView.body.data.unreadCount).toBe(sent.seq);
    });

    it('answers 409 when a clientMessageId is reused for another conversation', async () => {
      const clientMessageId = clientId();
      expect((await alice.post(messagesOf(group), { clientMessageId, body: 'a' })).status).toBe(
        201,
      );
      expectErrorEnvelope(
        await alice.post(messagesOf(direct), { clientMessageId, body: 'a' }),
        409,
        'CLIENT_MESSAGE_ID_CONFLICT',
      );
      // Another sender may use the same key.
      expect((await bob.post(messagesOf(group), { clientMessageId, body: 'b' })).status).toBe(201);
    });

    it('takes replies to a message of the same conversation only', async () => {
      const original = await sendText(alice, group, 'question');
      const reply = await bob.post(messagesOf(group), {
        clientMessageId: clientId(),
        body: 'answer',
        replyToId: original.id,
      });
      expect(reply.status).toBe(201);
      expect(reply.body.data.replyToId).toBe(original.id);
      const elsewhere = await sendText(alice, direct, 'private');
      for (const replyToId of [elsewhere.id, randomUUID()]) {
        expectErrorEnvelope(
          await bob.post(messagesOf(group), { clientMessageId: clientId(), body: 'x', replyToId }),
          422,
          'VALIDATION_FAILED',
        );
      }
    });

    it('refuses malformed, oversized, missing and hostile input with 422', async () => {
      const cases: [string, unknown][] = [
        ['no body, no attachments', { clientMessageId: clientId() }],
        ['empty body', { clientMessageId: clientId(), body: '' }],
        ['whitespace body', { clientMessageId: clientId(), body: ' \n\t ' }],
        ['4001-char body', { clientMessageId: clientId(), body: 'x'.repeat(4001) }],
        ['body not a string', { clientMessageId: clientId(), body: 42 }],
        ['null body', { clientMessageId: clientId(), body: null }],
        ['missing clientMessageId', { body: 'x' }],
        ['empty clientMessageId', { clientMessageId: '', body: 'x' }],
        ['65-char clientMessageId', { clientMessageId: 'a'.repeat(65), body: 'x' }],
        ['clientMessageId with spaces', { clientMessageId: 'a b', body: 'x' }],
        ['clientMessageId as number', { clientMessageId: 7, body: 'x' }],
        ['bad replyToId', { clientMessageId: clientId(), body: 'x', replyToId: '1' }],
        ['attachmentIds not uuids', { clientMessageId: clientId(), attachmentIds: ['a'] }],
        ['unknown field', { clientMessageId: clientId(), body: 'x', senderId: bob.id }],
        ['array body', [{ clientMessageId: clientId(), body: 'x' }]],
      ];
      for (const [name, body] of cases) {
        const res = await alice.post(messagesOf(group), body);
        expect({ name, status: res.status }).toEqual({ name, status: 422 });
        expectErrorEnvelope(res, 422, 'VALIDATION_FAILED');
      }
      const exact = await alice.post(messagesOf(group), {
        clientMessageId: clientId(),
        body: `  ${'é'.repeat(4000)}  `,
      });
      expect(exact.status).toBe(201);
      expect(exact.body.data.body).toHaveLength(4000);
      const emoji = await alice.post(messagesOf(group), {
        clientMessageId: randomUUID(),
        body: '😀'.repeat(4000),
      });
      expect(emoji.status).toBe(201);
    });

    it('answers 422 MEDIA_NOT_READY for an unknown attachment id (media-wiring has the rest)', async () => {
      const res = await alice.post(messagesOf(group), {
        clientMessageId: clientId(),
        attachmentIds: [randomUUID()],
      });
      const err = expectErrorEnvelope(res, 422, 'MEDIA_NOT_READY');
      expect(err.details?.map((detail) => detail.field)).toEqual(['attachmentIds[0]']);
    });

    it('answers 404 to non-members and unknown conversations, 422 to bad ids', async () => {
      expectErrorEnvelope(
        await mallory.post(messagesOf(group), { clientMessageId: clientId(), body: 'hi' }),
        404,
        'CONVERSATION_NOT_FOUND',
      );
      expectErrorEnvelope(
        await alice.post(messagesOf(randomUUID()), { clientMessageId: clientId(), body: 'hi' }),
        404,
        'CONVERSATION_NOT_FOUND',
      );
      expectErrorEnvelope(await mallory.get(messagesOf(group)), 404, 'CONVERSATION_NOT_FOUND');
      expectErrorEnvelope(
        await alice.post(messagesOf('nope'), { clientMessageId: clientId(), body: 'hi' }),
        422,
        'VALIDATION_FAILED',
      );
    });

    it('stops direct messages both ways once either user blocks the other', async () => {
      const [a, b] = await signUpUsers(t.url, smtp, 2);
      const id = await directBetween(a, b);
      await sendText(b, id, 'before the block');
      expect([200, 201]).toContain((await a.post('/users/me/blocks', { userId: b.id })).status);
      for (const sender of [a, b]) {
        expectErrorEnvelope(
          await sender.post(messagesOf(id), { clientMessageId: clientId(), body: 'x' }),
          403,
          'USER_BLOCKED',
        );
      }
      // History stays readable.
      expect((await a.get(messagesOf(id))).body.data).toHaveLength(1);
    });
  });

  describe('editing and deleting', () => {
    it('lets the sender edit (MessageUpdated) and nobody else', async () => {
      const sent = await sendText(bob, group, 'tpyo');
      const recorder = recordChatEvents(t.app);
      try {
        const edited = await bob.patch(`${messagesOf(group)}/${sent.id}`, { body: ' typo ' });
        expect(edited.status).toBe(200);
        expect(edited.body.data).toMatchObject({ id: sent.id, body: 'typo', seq: sent.seq });
        expect(edited.body.data.editedAt).toEqual(expect.any(String));
        const updated = recorder.named(ChatEvent.MessageUpdated);
        expect(updated).toHaveLength(1);
        expect(updated[0].recipients.sort()).toEqual([alice.id, bob.id, carol.id].sort());
      } finally {
        recorder.stop();
      }
      expectErrorEnvelope(
        await alice.patch(`${messagesOf(group)}/${sent.id}`, { body: 'owner edit' }),
        403,
        'NOT_MESSAGE_SENDER',
      );
      expectErrorEnvelope(
        await bob.patch(`${messagesOf(group)}/${sent.id}`, { body: '   ' }),
        422,
        'VALIDATION_FAILED',
      );
      expectErrorEnvelope(
        await bob.patch(`${messagesOf(group)}/${randomUUID()}`, { body: 'x' }),
        404,
        'MESSAGE_NOT_FOUND',
      );
      expectErrorEnvelope(
        await bob.patch(`${messagesOf(direct)}/${sent.id}`, { body: 'x' }),
        404,
        'MESSAGE_NOT_FOUND',
      );
    });

    it('leaves a tombstone without reactions; admins may delete in groups, peers may not', async () => {
      const sent = await sendText(carol, group, 'regrettable');
      expect((await bob.put(`${messagesOf(group)}/${sent.id}/reactions/${enc('👍')}`)).status).toBe(
        200,
      );
      expectErrorEnvelope(
        await bob.delete(`${messagesOf(group)}/${sent.id}`),
        403,
        'NOT_MESSAGE_SENDER',
      );
      const recorder = recordChatEvents(t.app);
      try {
        const deleted = await alice.delete(`${messagesOf(group)}/${sent.id}`);
        expect(deleted.status).toBe(200);
        expect(deleted.body.data).toMatchObject({
          id: sent.id,
          seq: sent.seq,
          body: null,
          reactions: [],
          attachments: [],
          deletedAt: expect.any(String),
        });
        const again = await carol.delete(`${messagesOf(group)}/${sent.id}`);
        expect(again.status).toBe(200);
        expect(recorder.named(ChatEvent.MessageDeleted)).toHaveLength(1);
      } finally {
        recorder.stop();
      }
      expectErrorEnvelope(
        await carol.patch(`${messagesOf(group)}/${sent.id}`, { body: 'undo' }),
        409,
        'MESSAGE_DELETED',
      );
      expectErrorEnvelope(
        await bob.put(`${messagesOf(group)}/${sent.id}/reactions/${enc('👍')}`),
        409,
        'MESSAGE_DELETED',
      );
      const history = await alice.get(`${messagesOf(group)}?after=${sent.seq - 1}&limit=1`);
      expect(history.body.data[0]).toMatchObject({ id: sent.id, body: null });

      const directMessage = await sendText(alice, direct, 'mine');
      expectErrorEnvelope(
        await bob.delete(`${messagesOf(direct)}/${directMessage.id}`),
        403,
        'NOT_MESSAGE_SENDER',
      );
      expect((await alice.delete(`${messagesOf(direct)}/${directMessage.id}`)).status).toBe(200);
    });
  });

  describe('reactions', () => {
    it('set and clear idempotently, aggregate per emoji, announce only changes', async () => {
      const sent = await sendText(alice, group, 'react to me');
      const path = (emoji: string) => `${messagesOf(group)}/${sent.id}/reactions/${enc(emoji)}`;
      const recorder = recordChatEvents(t.app);
      try {
        expect((await bob.put(path('👍'))).status).toBe(200);
        expect((await bob.put(path('👍'))).status).toBe(200);
        expect((await carol.put(path('👍'))).status).toBe(200);
        const last = await carol.put(path('❤️'));
        expect(last.body.data).toEqual({
          conversationId: group,
          messageId: sent.id,
          reactions: [
            { emoji: '👍', count: 2, userIds: [bob.id, carol.id] },
            { emoji: '❤️', count: 1, userIds: [carol.id] },
          ],
        });
        expect(recorder.named(ChatEvent.ReactionUpdated)).toHaveLength(3);

        const cleared = await bob.delete(path('👍'));
        expect(cleared.status).toBe(200);
        expect(cleared.body.data.reactions[0]).toEqual({
          emoji: '👍',
          count: 1,
          userIds: [carol.id],
        });
        expect((await bob.delete(path('👍'))).status).toBe(200);
        expect(recorder.named(ChatEvent.ReactionUpdated)).toHaveLength(4);
        expect(recorder.named(ChatEvent.ReactionUpdated)[3].recipients.sort()).toEqual(
          [alice.id, bob.id, carol.id].sort(),
        );
      } finally {
        recorder.stop();
      }
      const history = await alice.get(`${messagesOf(group)}?after=${sent.seq - 1}&limit=1`);
      expect(history.body.data[0].reactions).toEqual([
        { emoji: '👍', count: 1, userIds: [carol.id] },
        { emoji: '❤️', count: 1, userIds: [carol.id] },
      ]);
      for (const emoji of ['👨‍👩‍👧‍👦', '👍🏽', '🇵🇰', '1️⃣']) {
        expect({ emoji, status: (await bob.put(path(emoji))).status }).toEqual({
          emoji,
          status: 200,
        });
      }
    });

    it('refuse anything but one emoji, and non-members', async () => {
      const sent = await sendText(alice, group, 'careful');
      const base = `${messagesOf(group)}/${sent.id}/reactions/`;
      for (const emoji of ['a', '1', '👍👍', '<script>', '%20', 'x'.repeat(40), '👍a']) {
        const res = await bob.put(base + enc(emoji));
        expect({ emoji, status: res.status }).toEqual({ emoji, status: 422 });
      }
      expectErrorEnvelope(await mallory.put(base + enc('👍')), 404, 'CONVERSATION_NOT_FOUND');
      expectErrorEnvelope(
        await bob.put(`${messagesOf(group)}/${randomUUID()}/reactions/${enc('👍')}`),
        404,
        'MESSAGE_NOT_FOUND',
      );
    });
  });

  describe('history', () => {
    let conversation: string;
    const seqs: number[] = [];

    beforeAll(async () => {
      conversation = await groupOf(alice, [bob], 'history');
      for (let i = 1; i <= 7; i += 1) {
        seqs.push((await sendText(i % 2 ? alice : bob, conversation, `m${i}`)).seq);
      }
    });

    const page = async (query: string) => {
      const res = await bob.get(`${messagesOf(conversation)}${query}`);
      expect(res.status).toBe(200);
      return {
        seqs: (res.body.data as MessageDto[]).map((m) => m.seq),
        next: res.body.page.nextCursor as string | null,
      };
    };

    it('pages back from the newest with before=, newest first', async () => {
      expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7]);
      const first = await page('?limit=3');
      expect(first).toEqual({ seqs: [7, 6, 5], next: '5' });
      const second = await page(`?limit=3&before=${first.next}`);
      expect(second).toEqual({ seqs: [4, 3, 2], next: '2' });
      const third = await page(`?limit=3&before=${second.next}`);
      expect(third).toEqual({ seqs: [1], next: null });
      expect(await page('')).toEqual({ seqs: [7, 6, 5, 4, 3, 2, 1], next: null });
    });

    it('catches up with after=, oldest first', async () => {
      const first = await page('?after=0&limit=4');
      expect(first).toEqual({ seqs: [1, 2, 3, 4], next: '4' });
      const second = await page(`?after=${first.next}&limit=4`);
      expect(second).toEqual({ seqs: [5, 6, 7], next: null });
      expect(await page('?after=7')).toEqual({ seqs: [], next: null });
    });

    it('refuses malformed queries with 422', async () => {
      for (const query of [
        'before=3&after=1',
        'before=-1',
        'before=1.5',
        'before=abc',
        'before=0',
        `before=${2 ** 60}`,
        'after=-1',
        `after=${'9'.repeat(17)}`,
        'limit=0',
        'limit=101',
        'limit=ten',
        'limit=1&limit=2',
        'before=2&before=3',
        'order=asc',
      ]) {
        const res = await bob.get(`${messagesOf(conversation)}?${query}`);
        expect({ query, status: res.status }).toEqual({ query, status: 422 });
        expectErrorEnvelope(res, 422, 'VALIDATION_FAILED');
      }
    });
  });
});
