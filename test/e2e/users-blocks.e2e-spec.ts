import { Client as PgClient } from 'pg';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { expectErrorEnvelope } from '../support/envelope';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { collectPages, signUpClient, signUpClients, type Client } from '../support/users';

const UNKNOWN_ID = '0198f3b2-7c1a-7b3e-9a1b-1234567890ab';
const BLOCKS = '/api/v1/users/me/blocks';
const REQUESTS = '/api/v1/users/me/friend-requests';
const FRIENDS = '/api/v1/users/me/friends';

describe('users: blocks', () => {
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
  const blockedIds = async (client: Client) =>
    ((await client.get(BLOCKS).expect(200)).body.data as { user: { id: string } }[]).map(
      (block) => block.user.id,
    );

  it('blocks idempotently: 201 the first time, 200 after, one row, same blockedAt', async () => {
    const [alice, bob] = await pair();
    const first = await alice.post(BLOCKS, { userId: bob.id }).expect(201);
    expect(first.body).toEqual({
      success: true,
      message: 'User blocked',
      data: {
        user: expect.objectContaining({ id: bob.id, username: bob.username }),
        blockedAt: expect.any(String),
      },
    });
    expect(first.body.data.user).not.toHaveProperty('email');
    const again = await alice.post(BLOCKS, { userId: bob.id }).expect(200);
    expect(again.body.data).toEqual(first.body.data);
    const { rows } = await pg.query<{ n: number }>(
      'select count(*)::int as n from blocks where blocker_id = $1 and blocked_id = $2',
      [alice.id, bob.id],
    );
    expect(rows[0].n).toBe(1);
    expect(await blockedIds(alice)).toEqual([bob.id]);
    expect(await blockedIds(bob)).toEqual([]);
  });

  it('ends the friendship and any pending request between the two, in one go', async () => {
    const [alice, bob, carol] = await signUpClients(t.url, smtp, 3);
    await alice.post(REQUESTS, { userId: bob.id }).expect(201);
    await bob.post(REQUESTS, { userId: alice.id }).expect(200); // friends
    await carol.post(REQUESTS, { userId: alice.id }).expect(201); // pending carol → alice
    await alice.post(REQUESTS, { userId: carol.id }).expect(200); // now friends too
    await carol.delete(`${FRIENDS}/${alice.id}`).expect(200);
    await alice.post(REQUESTS, { userId: carol.id }).expect(201); // pending alice → carol

    await alice.post(BLOCKS, { userId: bob.id }).expect(201);
    await alice.post(BLOCKS, { userId: carol.id }).expect(201);

    for (const [a, b] of [
      [alice, bob],
      [alice, carol],
    ]) {
      const { rows } = await pg.query<{ friendships: number; pending: number }>(
        `select
           (select count(*)::int from friendships
             where (user_id = $1 and friend_id = $2) or (user_id = $2 and friend_id = $1)) as friendships,
           (select count(*)::int from friend_requests where status = 'pending'
             and ((from_user_id = $1 and to_user_id = $2) or (from_user_id = $2 and to_user_id = $1))) as pending`,
        [a.id, b.id],
      );
      expect(rows[0]).toEqual({ friendships: 0, pending: 0 });
    }
    expect((await alice.get(FRIENDS).expect(200)).body.data).toEqual([]);
    expect((await bob.get(FRIENDS).expect(200)).body.data).toEqual([]);
    expect((await carol.get(`${REQUESTS}?direction=incoming`).expect(200)).body.data).toEqual([]);

    // The blocked user can neither befriend nor find the blocker; nor the other way round.
    expectErrorEnvelope(await bob.post(REQUESTS, { userId: alice.id }), 404, 'USER_NOT_FOUND');
    expectErrorEnvelope(await alice.post(REQUESTS, { userId: bob.id }), 404, 'USER_NOT_FOUND');
    expect((await bob.get(`/api/v1/users?q=${alice.username}`).expect(200)).body.data).toEqual([]);
  });

  it('the same block sent twice at once is one row: one 201 and one 200', async () => {
    const [alice, bob] = await pair();
    const results = await Promise.all([
      alice.post(BLOCKS, { userId: bob.id }),
      alice.post(BLOCKS, { userId: bob.id }),
    ]);
    expect(results.map((res) => res.status).sort()).toEqual([200, 201]);
    expect(await blockedIds(alice)).toEqual([bob.id]);
  });

  it('a block racing an accepting reverse request leaves no friendship and no pending request', async () => {
    for (let i = 0; i < 5; i += 1) {
      const [alice, bob] = await pair();
      await alice.post(REQUESTS, { userId: bob.id }).expect(201);
      const [accept, block] = await Promise.all([
        bob.post(REQUESTS, { userId: alice.id }),
        alice.post(BLOCKS, { userId: bob.id }),
      ]);
      expect(block.status).toBe(201);
      // Whichever ran first, the accept either happened (200) or found the block (404).
      expect([200, 404]).toContain(accept.status);
      const { rows } = await pg.query<{ friendships: number; pending: number }>(
        `select
           (select count(*)::int from friendships where user_id in ($1, $2)) as friendships,
           (select count(*)::int from friend_requests
             where status = 'pending' and from_user_id in ($1, $2)) as pending`,
        [alice.id, bob.id],
      );
      expect(rows[0]).toEqual({ friendships: 0, pending: 0 });
    }
  });

  it('unblock: 200, then 404 BLOCK_NOT_FOUND; requests work again', async () => {
    const [alice, bob] = await pair();
    await alice.post(BLOCKS, { userId: bob.id }).expect(201);
    const res = await alice.delete(`${BLOCKS}/${bob.id}`).expect(200);
    expect(res.body).toMatchObject({ success: true, message: 'User unblocked', data: null });
    expect(await blockedIds(alice)).toEqual([]);
    expectErrorEnvelope(await alice.delete(`${BLOCKS}/${bob.id}`), 404, 'BLOCK_NOT_FOUND');
    expectErrorEnvelope(await bob.delete(`${BLOCKS}/${alice.id}`), 404, 'BLOCK_NOT_FOUND');
    await bob.post(REQUESTS, { userId: alice.id }).expect(201);
  });

  it('a user blocked by someone they blocked too: both blocks stand apart', async () => {
    const [alice, bob] = await pair();
    await alice.post(BLOCKS, { userId: bob.id }).expect(201);
    await bob.post(BLOCKS, { userId: alice.id }).expect(201);
    await alice.delete(`${BLOCKS}/${bob.id}`).expect(200);
    expectErrorEnvelope(await alice.post(REQUESTS, { userId: bob.id }), 404, 'USER_NOT_FOUND');
    expect(await blockedIds(bob)).toEqual([alice.id]);
  });

  it('pages the block list newest first, each once', async () => {
    const [me, ...others] = await signUpClients(t.url, smtp, 6);
    for (const other of others) await me.post(BLOCKS, { userId: other.id }).expect(201);
    const pages = await collectPages<{ user: { id: string } }>((cursor) =>
      me.get(`${BLOCKS}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
    );
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(pages.flat().map((block) => block.user.id)).toEqual(
      others.map((other) => other.id).reverse(),
    );
  });

  it.each([
    ['yourself', 422, 'VALIDATION_FAILED', (me: Client) => ({ userId: me.id })],
    ['an unknown user', 404, 'USER_NOT_FOUND', () => ({ userId: UNKNOWN_ID })],
    ['a non-UUID', 422, 'VALIDATION_FAILED', () => ({ userId: 'x' })],
    ['nobody', 422, 'VALIDATION_FAILED', () => ({})],
    ['with an unknown field', 422, 'VALIDATION_FAILED', () => ({ userId: UNKNOWN_ID, a: 1 })],
  ] as const)('blocking %s is %i %s', async (_name, status, code, body) => {
    const me = await signUpClient(t.url, smtp);
    expectErrorEnvelope(await me.post(BLOCKS, body(me)), status, code);
  });

  it.each([
    ['delete', `${BLOCKS}/not-a-uuid`],
    ['get', `${BLOCKS}?limit=51`],
    ['get', `${BLOCKS}?limit=2&limit=3`],
    ['get', `${BLOCKS}?cursor=abc`],
    ['get', `${BLOCKS}?q=x`],
  ] as const)('%s %s is 422', async (method, path) => {
    const me = await signUpClient(t.url, smtp);
    expectErrorEnvelope(await me[method](path), 422, 'VALIDATION_FAILED');
  });

  it.each([
    ['get', BLOCKS],
    ['post', BLOCKS],
    ['delete', `${BLOCKS}/${UNKNOWN_ID}`],
  ] as const)('%s %s is 401 without a token', async (method, path) => {
    expectErrorEnvelope(await request(t.url)[method](path).send(), 401, 'UNAUTHORIZED');
  });
});
