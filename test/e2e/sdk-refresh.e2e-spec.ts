import { MemoryTokenStore, type MessageDto } from '../../sdk/src';
import { startTestApp, type TestApp } from '../support/app';
import { decodeJwt, forgeAccessToken } from '../support/jwt';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { closeAllSdkClients, sdkClient, signUpSdk, type SdkUser } from '../support/sdk';
import { waitFor } from '../support/wait';

/** Swaps the stored access token for an expired one of the same user and session. */
function expireAccessToken(t: TestApp, store: MemoryTokenStore): string {
  const tokens = store.get()!;
  const { sub, sid } = decodeJwt(tokens.accessToken).payload as { sub: string; sid: string };
  const now = Math.floor(Date.now() / 1000);
  const expired = forgeAccessToken(t.config, sub, sid, {
    claims: { iat: now - 120, exp: now - 60 },
  });
  store.set({
    ...tokens,
    accessToken: expired,
    accessTokenExpiresAt: new Date((now - 60) * 1000).toISOString(),
  });
  return expired;
}

describe('SDK token refresh against the real server', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
  });
  afterAll(async () => {
    closeAllSdkClients();
    await t?.close();
    await smtp?.stop();
  });

  it('refreshes once for many concurrent calls after the access token expired, then retries them', async () => {
    const store = new MemoryTokenStore();
    const alice = await signUpSdk(t.url, smtp, { tokenStore: store });
    const before = store.get()!;
    expireAccessToken(t, store);
    alice.responses.length = 0;

    const results = await Promise.all([
      alice.client.users.me(),
      alice.client.conversations.list(),
      alice.client.auth.sessions(),
      alice.client.users.friends(),
      alice.client.users.blocks(),
      alice.client.users.friendRequests({ direction: 'incoming' }),
    ]);
    expect(results[0].id).toBe(alice.user.id);
    expect(alice.refreshRequests()).toBe(1);
    expect(alice.client.refreshCount).toBe(1);
    // Six 401s (TOKEN_EXPIRED), one refresh, six retries that succeed.
    expect(alice.responses.filter((r) => r.status === 401)).toHaveLength(6);
    expect(alice.responses.filter((r) => r.path === '/api/v1/auth/refresh')).toEqual([
      { path: '/api/v1/auth/refresh', status: 200 },
    ]);
    expect(alice.responses.filter((r) => r.status === 200)).toHaveLength(7);
    const after = store.get()!;
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(alice.ended).toEqual([]);
  });

  it('refreshes and reconnects when the socket handshake is refused with TOKEN_EXPIRED', async () => {
    const store = new MemoryTokenStore();
    const bob = await signUpSdk(t.url, smtp, { tokenStore: store });
    const expired = expireAccessToken(t, store);
    await bob.client.connect();
    expect(bob.client.realtime.state).toBe('connected');
    expect(bob.refreshRequests()).toBe(1);
    expect(store.get()!.accessToken).not.toBe(expired);
  });

  it('ends the session (once) when the refresh is refused, failing every waiting call', async () => {
    const store = new MemoryTokenStore();
    const carol = await signUpSdk(t.url, smtp, { tokenStore: store });
    // Carol signs in elsewhere and revokes this session from there.
    const elsewhere = sdkClient(t.url);
    await elsewhere.client.auth.login({
      login: carol.credentials.email,
      password: carol.credentials.password,
    });
    const other = (await elsewhere.client.auth.sessions()).find((s) => !s.current)!;
    await elsewhere.client.auth.revokeSession(other.id);

    const outcomes = await Promise.allSettled([
      carol.client.users.me(),
      carol.client.conversations.list(),
      carol.client.auth.sessions(),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(carol.refreshRequests()).toBe(1);
    expect(carol.ended).toEqual(['refresh_failed']);
    expect(store.get()).toBeNull();
    expect(carol.client.realtime.state).toBe('idle');
  });

  it('ends the session when the server revokes it while the socket is open; the client can sign in again', async () => {
    const dave = await signUpSdk(t.url, smtp);
    const conversation = await dave.client.conversations.createGroup({
      name: 'notes',
      memberIds: [],
    });
    await dave.client.connect();
    const elsewhere = sdkClient(t.url);
    await elsewhere.client.auth.login({
      login: dave.credentials.email,
      password: dave.credentials.password,
    });
    const other = (await elsewhere.client.auth.sessions()).find((s) => !s.current)!;
    await elsewhere.client.auth.revokeSession(other.id);
    await waitFor('session_revoked', () => dave.ended.includes('session_revoked'));
    expect(dave.ended).toEqual(['session_revoked']);
    expect(dave.client.realtime.state).toBe('idle');
    expect(dave.client.tokens).toBeNull();
    await expect(
      dave.client.sendMessage({ conversationId: conversation.id, body: 'too late' }),
    ).rejects.toMatchObject({ code: 'NOT_CONNECTED' });

    await dave.client.auth.login({
      login: dave.credentials.email,
      password: dave.credentials.password,
    });
    await dave.client.connect();
    const message = await dave.client.sendMessage({
      conversationId: conversation.id,
      body: 'back',
    });
    expect(message.senderId).toBe(dave.user.id);
  });
});

describe('SDK socket token refresh (auth:refresh) with 30 s access tokens', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({
      env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50', JWT_ACCESS_TTL: '30' },
    });
  });
  afterAll(async () => {
    closeAllSdkClients();
    await t?.close();
    await smtp?.stop();
  });

  it('keeps the socket past the first token expiry and still receives messages', async () => {
    const socket = { tokenRefreshLeadMs: 12_000 };
    const [erin, frank]: SdkUser[] = await Promise.all([
      signUpSdk(t.url, smtp, { socket }),
      signUpSdk(t.url, smtp, { socket }),
    ]);
    const conversation = await erin.client.conversations.createDirect(frank.user.id);
    await Promise.all([erin.client.connect(), frank.client.connect()]);
    const firstExpiry = Date.parse(erin.client.tokens!.accessTokenExpiresAt);
    const states: string[] = [];
    erin.client.realtime.onStateChange((state) => states.push(state));
    const received: MessageDto[] = [];
    erin.client.track(conversation.id, { afterSeq: 0, onMessage: (m) => received.push(m) });

    // Past the expiry of the token the socket connected with, plus the server's timer slack.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, firstExpiry - Date.now()) + 3_000),
    );
    await frank.client.sendMessage({ conversationId: conversation.id, body: 'still there?' });
    await waitFor('the message after expiry', () => received.length === 1, { timeoutMs: 10_000 });
    expect(states).toEqual([]); // never disconnected
    expect(erin.refreshRequests()).toBeGreaterThanOrEqual(1);
    expect(Date.parse(erin.client.tokens!.accessTokenExpiresAt)).toBeGreaterThan(firstExpiry);
  }, 90_000);
});
