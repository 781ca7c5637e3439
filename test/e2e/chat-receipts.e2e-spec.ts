import { randomUUID } from 'node:crypto';
import { ChatEvent } from '../../src/modules/chat/chat.events';
import { ReceiptsService } from '../../src/modules/chat/receipts.service';
import { startTestApp, type TestApp } from '../support/app';
import { groupOf, recordChatEvents, sendText, signUpUsers, type ChatUser } from '../support/chat';
import { expectErrorEnvelope } from '../support/envelope';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

/** A small seeded PRNG (mulberry32), so a failing interleaving can be replayed from its seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

describe('chat: receipts and unread counts', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let alice: ChatUser;
  let bob: ChatUser;
  let carol: ChatUser;
  let outsider: ChatUser;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    [alice, bob, carol, outsider] = await signUpUsers(t.url, smtp, 4);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  const readPath = (id: string) => `/conversations/${id}/read`;

  it('moves the read pointer forward only and tells the other members', async () => {
    const id = await groupOf(alice, [bob, carol]);
    for (let i = 0; i < 5; i += 1) await sendText(alice, id, `m${i}`);
    const recorder = recordChatEvents(t.app);
    try {
      const moved = await bob.post(readPath(id), { seq: 3 });
      expect(moved.status).toBe(200);
      expect(moved.body.data).toEqual({ lastReadSeq: 3 });
      const lower = await bob.post(readPath(id), { seq: 1 });
      expect(lower.body.data).toEqual({ lastReadSeq: 3 });
      const same = await bob.post(readPath(id), { seq: 3 });
      expect(same.body.data).toEqual({ lastReadSeq: 3 });
      const all = await bob.post(readPath(id), { seq: 5 });
      expect(all.body.data).toEqual({ lastReadSeq: 5 });

      const receipts = recorder.named(ChatEvent.ReceiptRead);
      expect(receipts.map((event) => event.payload)).toEqual([
        { conversationId: id, userId: bob.id, seq: 3 },
        { conversationId: id, userId: bob.id, seq: 5 },
      ]);
      expect(receipts[0].recipients.sort()).toEqual([alice.id, carol.id].sort());
    } finally {
      recorder.stop();
    }
    const view = await bob.get(`/conversations/${id}`);
    expect(view.body.data).toMatchObject({ lastSeq: 5, lastReadSeq: 5, unreadCount: 0 });
  });

  it('is the same service the gateway calls', async () => {
    const id = await groupOf(alice, [bob]);
    await sendText(alice, id);
    await sendText(alice, id);
    const receipts = t.app.get(ReceiptsService);
    await expect(receipts.markRead(bob.id, id, 2)).resolves.toEqual({ lastReadSeq: 2 });
    await expect(receipts.markRead(bob.id, id, 1)).resolves.toEqual({ lastReadSeq: 2 });
    await expect(receipts.markRead(outsider.id, id, 1)).rejects.toMatchObject({
      code: 'CONVERSATION_NOT_FOUND',
    });
  });

  it('refuses seqs past the last message and malformed ones with 422, non-members with 404', async () => {
    const id = await groupOf(alice, [bob]);
    await sendText(alice, id);
    expectErrorEnvelope(await bob.post(readPath(id), { seq: 2 }), 422, 'VALIDATION_FAILED');
    for (const body of [
      { seq: -1 },
      { seq: 1.5 },
      { seq: 'abc' },
      { seq: '1' },
      { seq: 2 ** 60 },
      { seq: null },
      {},
      { seq: 1, extra: true },
    ]) {
      const res = await bob.post(readPath(id), body);
      expect({ body, status: res.status }).toEqual({ body, status: 422 });
      expectErrorEnvelope(res, 422, 'VALIDATION_FAILED');
    }
    expectErrorEnvelope(
      await outsider.post(readPath(id), { seq: 1 }),
      404,
      'CONVERSATION_NOT_FOUND',
    );
    expectErrorEnvelope(
      await bob.post(readPath(randomUUID()), { seq: 1 }),
      404,
      'CONVERSATION_NOT_FOUND',
    );
    expect((await bob.post(readPath(id), { seq: 0 })).body.data).toEqual({ lastReadSeq: 0 });
  });

  it('unreadCount matches a model after random interleavings of sends and reads', async () => {
    for (const seed of [1, 42, 2024]) {
      const random = prng(seed);
      const members = [alice, bob, carol];
      const id = await groupOf(alice, [bob, carol], `model ${seed}`);
      let lastSeq = 0;
      const lastRead = new Map(members.map((member) => [member.id, 0]));

      for (let step = 0; step < 40; step += 1) {
        const actor = members[Math.floor(random() * members.length)];
        if (random() < 0.55) {
          const sent = await sendText(actor, id, `seed ${seed} step ${step}`);
          lastSeq += 1;
          expect(sent.seq).toBe(lastSeq);
          lastRead.set(actor.id, lastSeq);
        } else {
          // Any seq up to the last, often below the member's pointer (must be ignored).
          const seq = Math.floor(random() * (lastSeq + 1));
          const res = await actor.post(readPath(id), { seq });
          expect(res.status).toBe(200);
          lastRead.set(actor.id, Math.max(lastRead.get(actor.id) ?? 0, seq));
          expect(res.body.data).toEqual({ lastReadSeq: lastRead.get(actor.id) });
        }
        if (step % 8 === 7 || step === 39) {
          for (const member of members) {
            const expected = {
              lastSeq,
              lastReadSeq: lastRead.get(member.id),
              unreadCount: lastSeq - (lastRead.get(member.id) ?? 0),
            };
            const one = await member.get(`/conversations/${id}`);
            expect({ seed, step, member: member.id, ...one.body.data }).toMatchObject({
              seed,
              step,
              member: member.id,
              ...expected,
            });
            const list = await member.get('/conversations?limit=50');
            const entry = list.body.data.find((c: { id: string }) => c.id === id);
            expect({ seed, step, ...entry }).toMatchObject({ seed, step, ...expected });
          }
        }
      }
    }
  });
});
