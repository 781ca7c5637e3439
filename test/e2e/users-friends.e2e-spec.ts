import { Client as PgClient } from 'pg';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { expectErrorEnvelope } from '../support/envelope';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { collectPages, signUpClient, signUpClients, type Client } from '../support/users';

const UNKNOWN_ID = '0198f3b2-7c1a-7b3e-9a1b-1234567890ab';
const REQUESTS = '/api/v1/users/me/friend-requests';
const FRIENDS = '/api/v1/users/me/friends';

interface FriendRequest {
  id: string;
  status: string;
  direction: string;
  fromUserId: string;
  toUserId: string;
  user: { id: string };
}

describe('users: friends', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let pg: PgClient;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    pg = new PgClient({ connectionString: t.database?.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg?.end();
    await t?.close();
    await smtp?.stop();
  });

  const pair = () => Promise.all([signUpClient(t.url, smtp), signUpClient(t.url, smtp)]);
  const send = (from: Client, to: Client | string) =>
    from.post(REQUESTS, { userId: typeof to === 'string' ? to : to.id });
  const pending = async (client: Client, direction: 'incoming' | 'outgoing') =>
    (await client.get(`${REQUESTS}?direction=${direction}`).expect(200)).body
      .data as FriendRequest[];
  const friendIds = async (client: Client) =>
    ((await client.get(FRIENDS).expect(200)).body.data as { user: { id: string } }[]).map(
      (friend) => friend.user.id,
    );

  async function rowsBetween(a: string, b: string) {
    const friendships = await pg.query<{ n: number }>(
      `select count(*)::int as n from friendships
       where (user_id = $1 and friend_id = $2) or (user_id = $2 and friend_id = $1)`,
      [a, b],
    );
    const requests = await pg.query<{ status: string }>(
      `select status from friend_requests
       where (from_user_id = $1 and to_user_id = $2) or (from_user_id = $2 and to_user_id = $1)
       order by id`,
      [a, b],
    );
    return {
      friendshipRows: friendships.rows[0].n,
      requests: requests.rows.map((row) => row.status),
    };
  }

  it('send → duplicate → listed both ways → accept → friends on both sides', async () => {
    const [alice, bob] = await pair();
    const sent = await send(alice, bob).expect(201);
    expect(sent.body.message).toBe('Friend request sent, or theirs accepted (see data.outcome)');
    expect(sent.body.data).toEqual({
      outcome: 'requested',
      request: {
        id: expect.any(String),
        status: 'pending',
        direction: 'outgoing',
        fromUserId: alice.id,
        toUserId: bob.id,
        user: expect.objectContaining({ id: bob.id, username: bob.username }),
        createdAt: expect.any(String),
        respondedAt: null,
      },
      friend: null,
    });
    expect(sent.body.data.request.user).not.toHaveProperty('email');
    const requestId = sent.body.data.request.id as string;

    expectErrorEnvelope(await send(alice, bob), 409, 'FRIEND_REQUEST_PENDING');

    const incoming = await pending(bob, 'incoming');
    expect(incoming).toEqual([
      expect.objectContaining({
        id: requestId,
        direction: 'incoming',
        user: expect.objectContaining({ id: alice.id }),
      }),
    ]);
    expect(await pending(alice, 'outgoing')).toEqual([
      expect.objectContaining({ id: requestId, direction: 'outgoing' }),
    ]);
    expect(await pending(alice, 'incoming')).toEqual([]);
    // Without a direction, the list is the incoming one.
    const defaulted = await bob.get(REQUESTS).expect(200);
    expect(defaulted.body.data.map((r: FriendRequest) => r.id)).toEqual([requestId]);

    // Only the recipient may accept or decline; everyone else is told there is no such request.
    const carol = await signUpClient(t.url, smtp);
    for (const other of [alice, carol]) {
      expectErrorEnvelope(
        await other.post(`${REQUESTS}/${requestId}/accept`),
        404,
        'FRIEND_REQUEST_NOT_FOUND',
      );
      expectErrorEnvelope(
        await other.post(`${REQUESTS}/${requestId}/decline`),
        404,
        'FRIEND_REQUEST_NOT_FOUND',
      );
    }

    const accepted = await bob.post(`${REQUESTS}/${requestId}/accept`).expect(200);
    expect(accepted.body.data).toMatchObject({
      outcome: 'accepted',
      request: {
        id: requestId,
        status: 'accepted',
        direction: 'incoming',
        respondedAt: expect.any(String),
      },
      friend: { user: { id: alice.id }, since: expect.any(String) },
    });
    expect(await friendIds(alice)).toEqual([bob.id]);
    expect(await friendIds(bob)).toEqual([alice.id]);
    expect(await pending(bob, 'incoming')).toEqual([]);
    expect(await rowsBetween(alice.id, bob.id)).toEqual({
      friendshipRows: 2,
      requests: ['accepted'],
    });

    expectErrorEnvelope(await send(alice, bob), 409, 'ALREADY_FRIENDS');
    expectErrorEnvelope(await send(bob, alice), 409, 'ALREADY_FRIENDS');
    expectErrorEnvelope(
      await bob.post(`${REQUESTS}/${requestId}/accept`),
      404,
      'FRIEND_REQUEST_NOT_FOUND',
    );
  });

  it('lists friends with their public profile and presence', async () => {
    const [alice, bob] = await pair();
    const sent = await send(alice, bob).expect(201);
    await bob.post(`${REQUESTS}/${sent.body.data.request.id}/accept`).expect(200);
    const res = await alice.get(FRIENDS).expect(200);
    expect(res.body).toEqual({
      success: true,
      message: 'OK',
      data: [
        {
          user: {
            id: bob.id,
            username: bob.username,
            bio: '',
            avatarUrl: null,
            status: 'offline',
            lastSeenAt: null,
            createdAt: expect.any(String),
          },
          since: expect.any(String),
        },
      ],
      page: { nextCursor: null },
    });
  });

  it('a reverse request accepts the pending one: friends at once', async () => {
    const [alice, bob] = await pair();
    const first = await send(alice, bob).expect(201);
    const reverse = await send(bob, alice).expect(200);
    expect(reverse.body.data).toMatchObject({
      outcome: 'accepted',
      request: {
        id: first.body.data.request.id,
        status: 'accepted',
        fromUserId: alice.id,
        toUserId: bob.id,
        direction: 'incoming',
      },
      friend: { user: { id: alice.id } },
    });
    expect(await friendIds(alice)).toEqual([bob.id]);
    expect(await pending(alice, 'outgoing')).toEqual([]);
    expect(await rowsBetween(alice.id, bob.id)).toEqual({
      friendshipRows: 2,
      requests: ['accepted'],
    });
  });

  it('decline, send again, cancel by the sender', async () => {
    const [alice, bob] = await pair();
    const first = (await send(alice, bob).expect(201)).body.data.request.id as string;
    const declined = await bob.post(`${REQUESTS}/${first}/decline`).expect(200);
    expect(declined.body.data).toMatchObject({
      id: first,
      status: 'declined',
      respondedAt: expect.any(String),
    });
    expect(await pending(bob, 'incoming')).toEqual([]);
    expect(await pending(alice, 'outgoing')).toEqual([]);
    expectErrorEnvelope(
      await bob.post(`${REQUESTS}/${first}/accept`),
      404,
      'FRIEND_REQUEST_NOT_FOUND',
    );
    expectErrorEnvelope(
      await bob.post(`${REQUESTS}/${first}/decline`),
      404,
      'FRIEND_REQUEST_NOT_FOUND',
    );

    // A declined request does not stop a new one.
    const second = (await send(alice, bob).expect(201)).body.data.request.id as string;
    expectErrorEnvelope(await bob.delete(`${REQUESTS}/${second}`), 404, 'FRIEND_REQUEST_NOT_FOUND');
    const cancelled = await alice.delete(`${REQUESTS}/${second}`).expect(200);
    expect(cancelled.body.data).toMatchObject({ id: second, status: 'cancelled' });
    expect(await pending(bob, 'incoming')).toEqual([]);
    expect(await friendIds(alice)).toEqual([]);
    expect(await rowsBetween(alice.id, bob.id)).toEqual({
      friendshipRows: 0,
      requests: ['declined', 'cancelled'],
    });
  });

  it('unfriend removes both directions; a second time is 404', async () => {
    const [alice, bob] = await pair();
    await send(alice, bob).expect(201);
    await send(bob, alice).expect(200);
    const res = await bob.delete(`${FRIENDS}/${alice.id}`).expect(200);
    expect(res.body).toMatchObject({ success: true, message: 'Friend removed', data: null });
    expect(await friendIds(alice)).toEqual([]);
    expect(await friendIds(bob)).toEqual([]);
    expect((await rowsBetween(alice.id, bob.id)).friendshipRows).toBe(0);
    expectErrorEnvelope(await alice.delete(`${FRIENDS}/${bob.id}`), 404, 'FRIENDSHIP_NOT_FOUND');
    expectErrorEnvelope(
      await alice.delete(`${FRIENDS}/${UNKNOWN_ID}`),
      404,
      'FRIENDSHIP_NOT_FOUND',
    );
    // They can become friends again.
    await send(alice, bob).expect(201);
  });

  it('a block in the middle of a request cancels it, and neither side can send another', async () => {
    const [alice, bob] = await pair();
    const requestId = (await send(alice, bob).expect(201)).body.data.request.id as string;
    await bob.post('/api/v1/users/me/blocks', { userId: alice.id }).expect(201);
    expect(await pending(bob, 'incoming')).toEqual([]);
    expect(await pending(alice, 'outgoing')).toEqual([]);
    expectErrorEnvelope(
      await bob.post(`${REQUESTS}/${requestId}/accept`),
      404,
      'FRIEND_REQUEST_NOT_FOUND',
    );
    expectErrorEnvelope(await send(alice, bob), 404, 'USER_NOT_FOUND');
    expectErrorEnvelope(await send(bob, alice), 404, 'USER_NOT_FOUND');
    expect(await rowsBetween(alice.id, bob.id)).toEqual({
      friendshipRows: 0,
      requests: ['cancelled'],
    });
    await bob.delete(`/api/v1/users/me/blocks/${alice.id}`).expect(200);
    await send(alice, bob).expect(201);
  });

  it('two users requesting each other at the same moment become friends exactly once', async () => {
    const users = await signUpClients(t.url, smtp, 20);
    for (let i = 0; i < 10; i += 1) {
      const [a, b] = [users[2 * i], users[2 * i + 1]];
      const results = await Promise.all([send(a, b), send(b, a)]);
      const statuses = results.map((res) => res.status).sort();
      expect(statuses).toEqual([200, 201]);
      const outcomes = results.map((res) => res.body.data.outcome as string).sort();
      expect(outcomes).toEqual(['accepted', 'requested']);
      expect(await rowsBetween(a.id, b.id)).toEqual({ friendshipRows: 2, requests: ['accepted'] });
      expect(await friendIds(a)).toEqual([b.id]);
      expect(await friendIds(b)).toEqual([a.id]);
    }
  });

  it('the same request sent twice at once is one request and one 409', async () => {
    const [alice, bob] = await pair();
    const results = await Promise.all([send(alice, bob), send(alice, bob), send(alice, bob)]);
    expect(results.map((res) => res.status).sort()).toEqual([201, 409, 409]);
    expect(await rowsBetween(alice.id, bob.id)).toEqual({
      friendshipRows: 0,
      requests: ['pending'],
    });
  });

  it('pages friends and requests with cursors, each item once', async () => {
    const [hub, ...others] = await signUpClients(t.url, smtp, 6);
    for (const other of others.slice(0, 5)) await send(other, hub).expect(201);
    const incoming = await collectPages<FriendRequest>((cursor) =>
      hub.get(
        `${REQUESTS}?direction=incoming&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      ),
    );
    expect(incoming.map((page) => page.length)).toEqual([2, 2, 1]);
    // Newest first.
    expect(incoming.flat().map((r) => r.fromUserId)).toEqual(others.map((o) => o.id).reverse());
    for (const request of incoming.flat())
      await hub.post(`${REQUESTS}/${request.id}/accept`).expect(200);

    const friends = await collectPages<{ user: { id: string } }>((cursor) =>
      hub.get(`${FRIENDS}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
    );
    expect(friends.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(new Set(friends.flat().map((f) => f.user.id))).toEqual(new Set(others.map((o) => o.id)));
  });

  it.each([
    ['to yourself', 422, 'VALIDATION_FAILED', (me: Client) => ({ userId: me.id })],
    ['to an unknown user', 404, 'USER_NOT_FOUND', () => ({ userId: UNKNOWN_ID })],
    ['with a non-UUID userId', 422, 'VALIDATION_FAILED', () => ({ userId: 'bob' })],
    ['without userId', 422, 'VALIDATION_FAILED', () => ({})],
    [
      'with an unknown field',
      422,
      'VALIDATION_FAILED',
      (me: Client) => ({ userId: UNKNOWN_ID, note: me.id }),
    ],
  ] as const)('POST friend-requests %s is %i %s', async (_name, status, code, body) => {
    const me = await signUpClient(t.url, smtp);
    expectErrorEnvelope(await me.post(REQUESTS, body(me)), status, code);
  });

  it.each([
    ['get', `${REQUESTS}?direction=sideways`],
    ['get', `${REQUESTS}?direction=incoming&direction=outgoing`],
    ['get', `${REQUESTS}?limit=51`],
    ['get', `${REQUESTS}?cursor=nope`],
    ['get', `${FRIENDS}?limit=51`],
    ['get', `${FRIENDS}?limit=1&limit=2`],
    ['get', `${FRIENDS}?cursor=${Buffer.from('["users.friends","x","y"]').toString('base64url')}`],
    ['get', `${FRIENDS}?extra=1`],
    ['post', `${REQUESTS}/not-a-uuid/accept`],
    ['post', `${REQUESTS}/not-a-uuid/decline`],
    ['delete', `${REQUESTS}/not-a-uuid`],
    ['delete', `${FRIENDS}/not-a-uuid`],
  ] as const)('%s %s is 422', async (method, path) => {
    const me = await signUpClient(t.url, smtp);
    expectErrorEnvelope(await me[method](path), 422, 'VALIDATION_FAILED');
  });

  it('accept / decline / cancel of an unknown request is 404', async () => {
    const me = await signUpClient(t.url, smtp);
    expectErrorEnvelope(
      await me.post(`${REQUESTS}/${UNKNOWN_ID}/accept`),
      404,
      'FRIEND_REQUEST_NOT_FOUND',
    );
    expectErrorEnvelope(
      await me.post(`${REQUESTS}/${UNKNOWN_ID}/decline`),
      404,
      'FRIEND_REQUEST_NOT_FOUND',
    );
    expectErrorEnvelope(
      await me.delete(`${REQUESTS}/${UNKNOWN_ID}`),
      404,
      'FRIEND_REQUEST_NOT_FOUND',
    );
  });

  it.each([
    ['get', FRIENDS],
    ['delete', `${FRIENDS}/${UNKNOWN_ID}`],
    ['get', REQUESTS],
    ['post', REQUESTS],
    ['post', `${REQUESTS}/${UNKNOWN_ID}/accept`],
    ['post', `${REQUESTS}/${UNKNOWN_ID}/decline`],
    ['delete', `${REQUESTS}/${UNKNOWN_ID}`],
  ] as const)('%s %s is 401 without a token', async (method, path) => {
    expectErrorEnvelope(await request(t.url)[method](path).send(), 401, 'UNAUTHORIZED');
  });
});
