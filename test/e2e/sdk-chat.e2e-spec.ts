import { randomUUID } from 'node:crypto';
import { BaatCheetApiError, type MessageDto, type TypingEventPayload } from '../../sdk/src';
import { startTestApp, type TestApp } from '../support/app';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { closeAllSdkClients, sdkClient, signUpSdk, type SdkUser } from '../support/sdk';
import { waitFor } from '../support/wait';

describe('SDK (bearer mode) against the real server', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let alice: SdkUser;
  let bob: SdkUser;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    [alice, bob] = await Promise.all([signUpSdk(t.url, smtp), signUpSdk(t.url, smtp)]);
  });
  afterAll(async () => {
    closeAllSdkClients();
    await t?.close();
    await smtp?.stop();
  });

  it('signs up through register → mailed OTP → verify, and keeps the tokens in memory', () => {
    expect(alice.user).toMatchObject({
      username: alice.credentials.username,
      email: alice.credentials.email,
    });
    expect(alice.client.user?.id).toBe(alice.user.id);
    expect(alice.client.tokens).toMatchObject({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
    });
  });

  it('logs in by username on a new client, finds the other user and two clients chat over sockets', async () => {
    const persisted: unknown[] = [];
    const bobAgain = sdkClient(t.url, { onTokens: (tokens) => persisted.push(tokens) });
    const { user } = await bobAgain.client.auth.login({
      login: bob.credentials.username,
      password: bob.credentials.password,
    });
    expect(user.id).toBe(bob.user.id);
    expect(persisted).toHaveLength(1);

    const found = await alice.client.users.search({ q: bob.credentials.username.slice(0, 8) });
    expect(found.items.map((u) => u.id)).toContain(bob.user.id);
    const conversation = await alice.client.conversations.createDirect(bob.user.id);
    expect(conversation.type).toBe('direct');

    await Promise.all([alice.client.connect(), bobAgain.client.connect()]);
    const toBob: MessageDto[] = [];
    const toAlice: MessageDto[] = [];
    bobAgain.client.track(conversation.id, { afterSeq: 0, onMessage: (m) => toBob.push(m) });
    alice.client.track(conversation.id, { afterSeq: 0, onMessage: (m) => toAlice.push(m) });
    const typing: TypingEventPayload[] = [];
    bobAgain.client.on('typing', (event) => typing.push(event));

    await alice.client.setTyping(conversation.id, true);
    const sent: MessageDto[] = [];
    for (const body of ['hello bob', 'how are you?', 'ok bye']) {
      sent.push(await alice.client.sendMessage({ conversationId: conversation.id, body }));
    }
    const reply = await bobAgain.client.sendMessage({
      conversationId: conversation.id,
      body: 'hi alice',
    });
    expect(sent.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(reply.seq).toBe(4);

    await waitFor(
      'both streams to have all four messages',
      () => toBob.length === 4 && toAlice.length === 4,
      { timeoutMs: 10_000 },
    );
    expect(toBob.map((m) => m.body)).toEqual(['hello bob', 'how are you?', 'ok bye', 'hi alice']);
    expect(toAlice.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    await waitFor('the typing event', () =>
      typing.some((e) => e.userId === alice.user.id && e.isTyping),
    );

    // Bob's own reply already moved his read pointer to 4; a lower seq is ignored.
    await expect(bobAgain.client.markRead(conversation.id, 3)).resolves.toEqual({ lastReadSeq: 4 });
    const listed = await alice.client.conversations.list();
    expect(listed.items.find((c) => c.id === conversation.id)).toMatchObject({
      lastSeq: 4,
      unreadCount: 1,
    });
  });

  it('covers the REST surface: friends, groups, history, edits, reactions, sessions', async () => {
    const request = await alice.client.users.sendFriendRequest(bob.user.id);
    expect(request.outcome).toBe('requested');
    const incoming = await bob.client.users.friendRequests({ direction: 'incoming' });
    expect(incoming.items.map((r) => r.fromUserId)).toContain(alice.user.id);
    await bob.client.users.acceptFriendRequest(incoming.items[0].id);
    expect((await alice.client.users.friends()).items.map((f) => f.user.id)).toEqual([bob.user.id]);

    const group = await alice.client.conversations.createGroup({
      name: 'crew',
      memberIds: [bob.user.id],
    });
    expect(group.members.map((m) => m.role).sort()).toEqual(['member', 'owner']);
    const renamed = await alice.client.conversations.update(group.id, { name: 'the crew' });
    expect(renamed.name).toBe('the crew');
    await alice.client.conversations.setRole(group.id, bob.user.id, 'admin');

    for (let i = 1; i <= 5; i += 1) {
      await alice.client.messages.send({ conversationId: group.id, body: `m${i}` });
    }
    const older = await alice.client.messages.list(group.id, { before: 4, limit: 2 });
    expect(older.items.map((m) => m.seq)).toEqual([3, 2]);
    expect(older.nextCursor).toBe('2');
    const newer = await alice.client.messages.list(group.id, { after: 3 });
    expect(newer.items.map((m) => m.seq)).toEqual([4, 5]);
    expect(newer.nextCursor).toBeNull();

    const first = older.items[1];
    expect((await alice.client.messages.edit(group.id, first.id, 'edited')).body).toBe('edited');
    const reacted = await bob.client.messages.react(group.id, first.id, '👍');
    expect(reacted.reactions).toEqual([{ emoji: '👍', count: 1, userIds: [bob.user.id] }]);
    expect((await bob.client.messages.unreact(group.id, first.id, '👍')).reactions).toEqual([]);
    const deleted = await alice.client.messages.delete(group.id, first.id);
    expect(deleted).toMatchObject({ body: null, deletedAt: expect.any(String) });
    await expect(bob.client.messages.markRead(group.id, 5)).resolves.toEqual({ lastReadSeq: 5 });

    await bob.client.conversations.leave(group.id);
    await expect(bob.client.conversations.get(group.id)).rejects.toMatchObject({ status: 404 });

    const sessions = await alice.client.auth.sessions();
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
  });

  it('throws BaatCheetApiError with the envelope fields and rejects bad socket sends at once', async () => {
    const error = await alice.client.conversations.get(randomUUID()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BaatCheetApiError);
    expect(error).toMatchObject({
      status: 404,
      code: 'CONVERSATION_NOT_FOUND',
      requestId: expect.any(String),
    });

    const invalid = await alice.client.users.updateMe({ username: 'x' }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 422, code: 'VALIDATION_FAILED' });
    expect((invalid as BaatCheetApiError).details[0]).toMatchObject({ field: 'username' });

    await alice.client.connect();
    const started = Date.now();
    await expect(
      alice.client.sendMessage({ conversationId: 'not-a-uuid', body: 'x' }),
    ).rejects.toMatchObject({ status: 0, code: 'VALIDATION_FAILED' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('logout revokes the session, clears the tokens and reports signed_out', async () => {
    const carol = await signUpSdk(t.url, smtp);
    const { refreshToken } = carol.client.tokens!;
    await carol.client.auth.logout();
    expect(carol.ended).toEqual(['signed_out']);
    expect(carol.client.tokens).toBeNull();
    // The revoked session's refresh token no longer works either.
    const again = sdkClient(t.url, {
      tokens: {
        accessToken: 'revoked',
        refreshToken,
        accessTokenExpiresAt: new Date().toISOString(),
        refreshTokenExpiresAt: new Date(Date.now() + 60_000).toISOString(),
      },
    });
    await expect(again.client.auth.refresh()).rejects.toMatchObject({ status: 401 });
    expect(again.ended).toEqual(['refresh_failed']);
  });
});
