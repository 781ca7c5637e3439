import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ChatEvent } from '../../src/modules/chat/chat.events';
import type { ConversationDto } from '../../src/modules/chat/chat.types';
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

function rolesOf(conversation: ConversationDto): Record<string, string> {
  return Object.fromEntries(conversation.members.map((member) => [member.userId, member.role]));
}

describe('chat: members and roles', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let users: ChatUser[];
  let owner: ChatUser;
  let admin: ChatUser;
  let member: ChatUser;
  let other: ChatUser;
  let outsider: ChatUser;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    users = await signUpUsers(t.url, smtp, 6);
    [owner, admin, member, other, outsider] = users;
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  const membersOf = (id: string) => `/conversations/${id}/members`;

  async function groupWithAdmin(): Promise<string> {
    const id = await groupOf(owner, [admin, member]);
    const promoted = await owner.patch(`${membersOf(id)}/${admin.id}`, { role: 'admin' });
    expect(promoted.status).toBe(200);
    expect(rolesOf(promoted.body.data)[admin.id]).toBe('admin');
    return id;
  }

  it('owners and admins add members, who start with nothing unread; plain members cannot', async () => {
    const id = await groupWithAdmin();
    await sendText(owner, id, 'before you joined');
    const recorder = recordChatEvents(t.app);
    try {
      const added = await admin.post(membersOf(id), { userIds: [other.id] });
      expect(added.status).toBe(200);
      expect(rolesOf(added.body.data)[other.id]).toBe('member');
      const events = recorder.named(ChatEvent.MemberAdded);
      expect(events).toHaveLength(1);
      expect(events[0].payload).toEqual({ conversationId: id, userId: other.id });
      expect(events[0].recipients.sort()).toEqual([owner.id, admin.id, member.id, other.id].sort());
    } finally {
      recorder.stop();
    }
    const view = await other.get(`/conversations/${id}`);
    expect(view.body.data).toMatchObject({ lastSeq: 1, lastReadSeq: 1, unreadCount: 0 });
    // Adding someone already in is a no-op.
    expect((await owner.post(membersOf(id), { userIds: [other.id] })).status).toBe(200);

    expectErrorEnvelope(
      await member.post(membersOf(id), { userIds: [outsider.id] }),
      403,
      'INSUFFICIENT_ROLE',
    );
    expectErrorEnvelope(
      await owner.post(membersOf(id), { userIds: [randomUUID()] }),
      404,
      'USER_NOT_FOUND',
    );
    expectErrorEnvelope(
      await outsider.post(membersOf(id), { userIds: [outsider.id] }),
      404,
      'CONVERSATION_NOT_FOUND',
    );
    for (const body of [
      { userIds: [] },
      { userIds: ['x'] },
      { userIds: [other.id, other.id] },
      { userIds: other.id },
      { userIds: [owner.id] },
      {},
      { userIds: [other.id], role: 'admin' },
    ]) {
      expectErrorEnvelope(await owner.post(membersOf(id), body), 422, 'VALIDATION_FAILED');
    }
    const direct = await directBetween(owner, member);
    expectErrorEnvelope(
      await owner.post(membersOf(direct), { userIds: [other.id] }),
      422,
      'CONVERSATION_NOT_GROUP',
    );
  });

  it('only owners set roles, and the last owner cannot be demoted', async () => {
    const id = await groupWithAdmin();
    expectErrorEnvelope(
      await admin.patch(`${membersOf(id)}/${member.id}`, { role: 'admin' }),
      403,
      'INSUFFICIENT_ROLE',
    );
    expectErrorEnvelope(
      await owner.patch(`${membersOf(id)}/${owner.id}`, { role: 'member' }),
      409,
      'LAST_OWNER',
    );
    expectErrorEnvelope(
      await owner.patch(`${membersOf(id)}/${member.id}`, { role: 'king' }),
      422,
      'VALIDATION_FAILED',
    );
    expectErrorEnvelope(
      await owner.patch(`${membersOf(id)}/${outsider.id}`, { role: 'admin' }),
      404,
      'MEMBER_NOT_FOUND',
    );
    // A second owner, then the first may step down.
    expect((await owner.patch(`${membersOf(id)}/${admin.id}`, { role: 'owner' })).status).toBe(200);
    const stepped = await owner.patch(`${membersOf(id)}/${owner.id}`, { role: 'member' });
    expect(stepped.status).toBe(200);
    expect(rolesOf(stepped.body.data)).toEqual({
      [owner.id]: 'member',
      [admin.id]: 'owner',
      [member.id]: 'member',
    });
  });

  it('admins remove plain members only; owners remove anyone; removed members see 404', async () => {
    const id = await groupWithAdmin();
    await owner.post(membersOf(id), { userIds: [other.id] });
    expectErrorEnvelope(
      await member.delete(`${membersOf(id)}/${other.id}`),
      403,
      'INSUFFICIENT_ROLE',
    );
    expectErrorEnvelope(
      await admin.delete(`${membersOf(id)}/${owner.id}`),
      403,
      'INSUFFICIENT_ROLE',
    );
    expectErrorEnvelope(
      await admin.delete(`${membersOf(id)}/${outsider.id}`),
      404,
      'MEMBER_NOT_FOUND',
    );
    const recorder = recordChatEvents(t.app);
    try {
      const removed = await admin.delete(`${membersOf(id)}/${member.id}`);
      expect(removed.status).toBe(200);
      expect(Object.keys(rolesOf(removed.body.data)).sort()).toEqual(
        [owner.id, admin.id, other.id].sort(),
      );
      const events = recorder.named(ChatEvent.MemberRemoved);
      expect(events).toHaveLength(1);
      expect(events[0].recipients.sort()).toEqual([owner.id, admin.id, other.id, member.id].sort());
      recorder.clear();
      await sendText(owner, id, 'after the removal');
      expect(recorder.named(ChatEvent.MessageCreated)[0].recipients).not.toContain(member.id);
    } finally {
      recorder.stop();
    }
    expectErrorEnvelope(await member.get(`/conversations/${id}`), 404, 'CONVERSATION_NOT_FOUND');
    expectErrorEnvelope(
      await member.get(`/conversations/${id}/messages`),
      404,
      'CONVERSATION_NOT_FOUND',
    );
    expectErrorEnvelope(
      await member.post(`/conversations/${id}/messages`, {
        clientMessageId: clientId(),
        body: 'x',
      }),
      404,
      'CONVERSATION_NOT_FOUND',
    );
    expectErrorEnvelope(
      await member.post(`/conversations/${id}/read`, { seq: 1 }),
      404,
      'CONVERSATION_NOT_FOUND',
    );
    const list = await member.get('/conversations?limit=50');
    expect(list.body.data.map((c: { id: string }) => c.id)).not.toContain(id);

    const kicked = await owner.delete(`${membersOf(id)}/${admin.id}`);
    expect(kicked.status).toBe(200);

    // Added back: a member again, with what was sent meanwhile counted as read.
    const back = await owner.post(membersOf(id), { userIds: [member.id] });
    expect(back.status).toBe(200);
    const view = await member.get(`/conversations/${id}`);
    expect(view.body.data).toMatchObject({ unreadCount: 0 });
    expect(rolesOf(view.body.data)[member.id]).toBe('member');
  });

  it('an owner leaving hands ownership to the oldest admin, else the oldest member', async () => {
    const [a, b, c, d] = await signUpUsers(t.url, smtp, 4);
    const id = await groupOf(a, [b, c, d]);
    await a.patch(`${membersOf(id)}/${d.id}`, { role: 'admin' });
    const left = await a.delete(`${membersOf(id)}/${a.id}`);
    expect(left.status).toBe(200);
    expect(left.body.data).toBeNull();
    let view = (await b.get(`/conversations/${id}`)).body.data as ConversationDto;
    expect(rolesOf(view)).toEqual({ [b.id]: 'member', [c.id]: 'member', [d.id]: 'owner' });
    expectErrorEnvelope(await a.get(`/conversations/${id}`), 404, 'CONVERSATION_NOT_FOUND');

    // No admin left: the oldest member (b joined with c at creation; ties break by id) takes over.
    await d.delete(`${membersOf(id)}/${d.id}`);
    view = (await b.get(`/conversations/${id}`)).body.data as ConversationDto;
    const heir = [b.id, c.id].sort()[0];
    expect(rolesOf(view)[heir]).toBe('owner');
    expect(Object.values(rolesOf(view)).filter((role) => role === 'owner')).toHaveLength(1);
  });

  it('the last member leaving archives the group', async () => {
    const [a, b] = await signUpUsers(t.url, smtp, 2);
    const id = await groupOf(a, [b]);
    await sendText(b, id, 'bye');
    expect((await b.delete(`${membersOf(id)}/${b.id}`)).status).toBe(200);
    expect((await a.delete(`${membersOf(id)}/${a.id}`)).status).toBe(200);
    expectErrorEnvelope(await a.get(`/conversations/${id}`), 404, 'CONVERSATION_NOT_FOUND');
    const client = new Client({ connectionString: t.database?.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ archived: boolean; left: string }>(
        `SELECT c.archived_at IS NOT NULL AS archived,
                (SELECT count(*) FROM conversation_members m
                  WHERE m.conversation_id = c.id AND m.left_at IS NOT NULL) AS left
           FROM conversations c WHERE c.id = $1`,
        [id],
      );
      // Rows are kept (history and receipts stay consistent); nobody is active.
      expect(rows).toEqual([{ archived: true, left: '2' }]);
    } finally {
      await client.end();
    }
  });

  it('direct conversations cannot be left and bad ids are refused', async () => {
    const direct = await directBetween(owner, other);
    expectErrorEnvelope(
      await owner.delete(`${membersOf(direct)}/${owner.id}`),
      422,
      'CONVERSATION_NOT_GROUP',
    );
    expectErrorEnvelope(
      await owner.delete(`${membersOf(direct)}/not-a-uuid`),
      422,
      'VALIDATION_FAILED',
    );
    expectErrorEnvelope(
      await outsider.delete(`${membersOf(randomUUID())}/${outsider.id}`),
      404,
      'CONVERSATION_NOT_FOUND',
    );
  });

  it('concurrent leaves of every owner still leave exactly one owner', async () => {
    const group = await signUpUsers(t.url, smtp, 4);
    const [a, b, c, d] = group;
    const id = await groupOf(a, [b, c, d]);
    await a.patch(`${membersOf(id)}/${b.id}`, { role: 'owner' });
    const results = await Promise.all([
      a.delete(`${membersOf(id)}/${a.id}`),
      b.delete(`${membersOf(id)}/${b.id}`),
    ]);
    expect(results.map((res) => res.status)).toEqual([200, 200]);
    const view = (await c.get(`/conversations/${id}`)).body.data as ConversationDto;
    expect(Object.values(rolesOf(view)).filter((role) => role === 'owner')).toHaveLength(1);
    expect(view.members).toHaveLength(2);
  });
});
