import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { expectErrorEnvelope } from '../support/envelope';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { collectPages, signUpClient, signUpClients, type Client } from '../support/users';

interface Profile {
  id: string;
  username: string;
}

describe('users: search GET /users?q=', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  /**
   * A prefix nothing else in this database starts with; letters only, since the sign-up mail
   * greets the user by name and a run of six digits there would look like the OTP.
   */
  const prefix = `srch${[...randomBytes(6)].map((byte) => String.fromCharCode(97 + (byte % 26))).join('')}`;
  let searcher: Client;
  let members: Client[];

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    // Mixed letter case, so ordering and matching are both case-insensitive.
    members = await signUpClients(t.url, smtp, 25, (i) =>
      i % 2 === 0
        ? `${prefix}_${String(i).padStart(2, '0')}`
        : `${prefix.toUpperCase()}_${String(i).padStart(2, '0')}`,
    );
    searcher = await signUpClient(t.url, smtp, { username: `${prefix}_me` });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  const search = (client: Client, query: string) => client.get(`/api/v1/users?${query}`);

  it('pages through every match exactly once, in case-insensitive username order', async () => {
    const pages = await collectPages<Profile>((cursor) =>
      search(
        searcher,
        `q=${prefix.toUpperCase()}&limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      ),
    );
    expect(pages.map((page) => page.length)).toEqual([7, 7, 7, 4]);
    const found = pages.flat();
    const expected = [...members]
      .sort((a, b) => (a.username.toLowerCase() < b.username.toLowerCase() ? -1 : 1))
      .map((member) => member.id);
    expect(found.map((profile) => profile.id)).toEqual(expected);
    expect(new Set(found.map((profile) => profile.id)).size).toBe(25);
    // The caller is never in their own results; public profiles only.
    expect(found.map((profile) => profile.id)).not.toContain(searcher.id);
    for (const profile of found) expect(profile).not.toHaveProperty('email');
  });

  it('answers the envelope with page.nextCursor, null on the last page', async () => {
    const res = await search(searcher, `q=${prefix}_0&limit=50`).expect(200);
    expect(res.body).toEqual({
      success: true,
      message: 'OK',
      data: expect.any(Array),
      page: { nextCursor: null },
    });
    expect(res.body.data).toHaveLength(10); // _00 … _09
  });

  it('defaults to 20 per page', async () => {
    const res = await search(searcher, `q=${prefix}`).expect(200);
    expect(res.body.data).toHaveLength(20);
    expect(typeof res.body.page.nextCursor).toBe('string');
  });

  it('treats %, _ and \\ in q as literal characters', async () => {
    for (const q of ['%', `${prefix}%`, '\\', `${prefix}\\`, `${prefix.slice(0, 3)}_`]) {
      const res = await search(searcher, `q=${encodeURIComponent(q)}`).expect(200);
      expect(res.body.data).toEqual([]);
    }
    const underscore = await search(searcher, `q=${prefix}_1`).expect(200);
    expect(underscore.body.data.length).toBe(10); // _10 … _19
  });

  it('leaves out users the caller blocked and users who blocked the caller', async () => {
    const [blockedByMe, blockerOfMe] = [members[3], members[4]];
    await searcher.post('/api/v1/users/me/blocks', { userId: blockedByMe.id }).expect(201);
    await blockerOfMe.post('/api/v1/users/me/blocks', { userId: searcher.id }).expect(201);
    try {
      const found = (
        await collectPages<Profile>((cursor) =>
          search(
            searcher,
            `q=${prefix}&limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          ),
        )
      ).flat();
      expect(found).toHaveLength(23);
      expect(found.map((p) => p.id)).not.toContain(blockedByMe.id);
      expect(found.map((p) => p.id)).not.toContain(blockerOfMe.id);
      // Neither can they find the searcher.
      const theirs = await search(blockerOfMe, `q=${prefix}_me`).expect(200);
      expect(theirs.body.data).toEqual([]);
      const blockedView = await search(blockedByMe, `q=${prefix}_me`).expect(200);
      expect(blockedView.body.data).toEqual([]);
    } finally {
      await searcher.delete(`/api/v1/users/me/blocks/${blockedByMe.id}`).expect(200);
      await blockerOfMe.delete(`/api/v1/users/me/blocks/${searcher.id}`).expect(200);
    }
    const again = await search(searcher, `q=${prefix}&limit=50`).expect(200);
    expect(again.body.data).toHaveLength(25);
  });

  it.each([
    ['', 'q'],
    ['q=', 'q'],
    [`q=${'a'.repeat(31)}`, 'q'],
    ['q=a&limit=51', 'limit'],
    ['q=a&limit=0', 'limit'],
    ['q=a&limit=-1', 'limit'],
    ['q=a&limit=abc', 'limit'],
    ['q=a&limit=7.5', 'limit'],
    ['q=a&q=b', 'q'],
    ['q=a&limit=5&limit=6', 'limit'],
    ['q=a&sort=username', 'sort'],
    ['q=a&cursor=not-a-cursor', 'cursor'],
    ['q=a&cursor=', 'cursor'],
  ])('is 422 for ?%s', async (query, field) => {
    const err = expectErrorEnvelope(await search(searcher, query), 422, 'VALIDATION_FAILED');
    expect(err.details?.map((detail) => detail.field)).toContain(field);
  });

  it('is 422 for a cursor of another list', async () => {
    await searcher.post('/api/v1/users/me/blocks', { userId: members[0].id }).expect(201);
    await searcher.post('/api/v1/users/me/blocks', { userId: members[1].id }).expect(201);
    const blocks = await searcher.get('/api/v1/users/me/blocks?limit=1').expect(200);
    const foreign = blocks.body.page.nextCursor as string;
    expect(foreign).toEqual(expect.any(String));
    expectErrorEnvelope(
      await search(searcher, `q=a&cursor=${encodeURIComponent(foreign)}`),
      422,
      'VALIDATION_FAILED',
    );
    await searcher.delete(`/api/v1/users/me/blocks/${members[0].id}`).expect(200);
    await searcher.delete(`/api/v1/users/me/blocks/${members[1].id}`).expect(200);
  });

  it('is 401 without a token', async () => {
    expectErrorEnvelope(await request(t.url).get(`/api/v1/users?q=${prefix}`), 401, 'UNAUTHORIZED');
  });
});
