import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { expectErrorEnvelope } from '../support/envelope';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { signUpClient, type Client } from '../support/users';

const PUBLIC_KEYS = ['avatarUrl', 'bio', 'createdAt', 'id', 'lastSeenAt', 'status', 'username'];
const UNKNOWN_ID = '0198f3b2-7c1a-7b3e-9a1b-1234567890ab';

describe('users: profiles', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let alice: Client;
  let bob: Client;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    [alice, bob] = await Promise.all([signUpClient(t.url, smtp), signUpClient(t.url, smtp)]);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  describe('GET /users/me', () => {
    it('answers the own profile, with email and presence, and nothing else', async () => {
      const res = await alice.get('/api/v1/users/me').expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        success: true,
        message: 'OK',
        data: {
          id: alice.id,
          username: alice.username,
          email: alice.session.credentials.email,
          bio: '',
          avatarUrl: null,
          status: 'offline',
          lastSeenAt: null,
          createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T.*Z$/),
        },
      });
    });

    it('is 401 without a token', async () => {
      expectErrorEnvelope(await request(t.url).get('/api/v1/users/me'), 401, 'UNAUTHORIZED');
    });
  });

  describe('PATCH /users/me', () => {
    it('changes username and bio', async () => {
      const carol = await signUpClient(t.url, smtp);
      const username = `Carol_${Date.now().toString(36)}`;
      const res = await carol
        .patch('/api/v1/users/me', { username, bio: 'hello, I am Carol' })
        .expect(200);
      expect(res.body.message).toBe('Profile updated');
      expect(res.body.data).toMatchObject({ id: carol.id, username, bio: 'hello, I am Carol' });
      const again = await carol.get('/api/v1/users/me').expect(200);
      expect(again.body.data).toMatchObject({ username, bio: 'hello, I am Carol' });
      // The new name signs in; the old one no longer does.
      const login = await request(t.url)
        .post('/api/v1/auth/login')
        .set('X-Auth-Transport', 'bearer')
        .send({ email: username.toLowerCase(), password: carol.session.credentials.password });
      expect(login.status).toBe(200);
    });

    it('lets a user change the case of their own username', async () => {
      const dave = await signUpClient(t.url, smtp);
      const res = await dave
        .patch('/api/v1/users/me', { username: dave.username.toUpperCase() })
        .expect(200);
      expect(res.body.data.username).toBe(dave.username.toUpperCase());
    });

    it('an empty body changes nothing', async () => {
      const before = await bob.get('/api/v1/users/me').expect(200);
      const res = await bob.patch('/api/v1/users/me', {}).expect(200);
      expect(res.body.data).toEqual(before.body.data);
    });

    it('is 409 USERNAME_TAKEN for a username taken in any letter case', async () => {
      const err = expectErrorEnvelope(
        await bob.patch('/api/v1/users/me', { username: alice.username.toUpperCase() }),
        409,
        'USERNAME_TAKEN',
      );
      expect(err.message).toMatch(/taken/);
    });

    it.each([
      [{ username: 'ab' }, 'username'],
      [{ username: 'has space' }, 'username'],
      [{ username: 'x'.repeat(31) }, 'username'],
      [{ username: null }, 'username'],
      [{ username: 42 }, 'username'],
      [{ bio: 'x'.repeat(151) }, 'bio'],
      [{ bio: null }, 'bio'],
      [{ avatarMediaId: 'not-a-uuid' }, 'avatarMediaId'],
      [{ email: 'new@example.com' }, 'email'],
      [{ passwordHash: 'x' }, 'passwordHash'],
    ])('is 422 for %j', async (body, field) => {
      const err = expectErrorEnvelope(
        await bob.patch('/api/v1/users/me', body),
        422,
        'VALIDATION_FAILED',
      );
      expect(err.details?.map((detail) => detail.field)).toContain(field);
    });

    it('accepts a bio of exactly 150 characters', async () => {
      const res = await bob.patch('/api/v1/users/me', { bio: 'é'.repeat(150) }).expect(200);
      expect(res.body.data.bio).toBe('é'.repeat(150));
    });

    it('answers 422 MEDIA_NOT_READY for an unknown avatar id, changing nothing', async () => {
      const before = await bob.get('/api/v1/users/me').expect(200);
      const err = expectErrorEnvelope(
        await bob.patch('/api/v1/users/me', { avatarMediaId: UNKNOWN_ID, bio: 'changed?' }),
        422,
        'MEDIA_NOT_READY',
      );
      expect(err.details).toEqual([
        { field: 'avatarMediaId', message: 'must be a ready avatar you uploaded' },
      ]);
      expect((await bob.get('/api/v1/users/me')).body.data).toEqual(before.body.data);
      // null (remove the avatar) is accepted.
      await bob.patch('/api/v1/users/me', { avatarMediaId: null }).expect(200);
    });

    it('is 401 without a token and 400 for broken JSON', async () => {
      expectErrorEnvelope(
        await request(t.url).patch('/api/v1/users/me').send({ bio: 'x' }),
        401,
        'UNAUTHORIZED',
      );
      expectErrorEnvelope(
        await request(t.url)
          .patch('/api/v1/users/me')
          .set('Authorization', `Bearer ${bob.session.accessToken}`)
          .set('Content-Type', 'application/json')
          .send('{"bio":'),
        400,
        'MALFORMED_JSON',
      );
    });
  });

  describe('GET /users/:id', () => {
    it('answers the public profile: never the email, never a hash', async () => {
      const res = await bob.get(`/api/v1/users/${alice.id}`).expect(200);
      expect(Object.keys(res.body.data).sort()).toEqual(PUBLIC_KEYS);
      expect(res.body.data).toMatchObject({ id: alice.id, status: 'offline', avatarUrl: null });
      expect(JSON.stringify(res.body)).not.toContain(alice.session.credentials.email);
      expect(JSON.stringify(res.body)).not.toMatch(/\$2[aby]\$/);
    });

    it('is 404 USER_NOT_FOUND for an unknown id', async () => {
      expectErrorEnvelope(await bob.get(`/api/v1/users/${UNKNOWN_ID}`), 404, 'USER_NOT_FOUND');
    });

    it('is 422 for an id that is not a UUID', async () => {
      const err = expectErrorEnvelope(
        await bob.get('/api/v1/users/not-a-uuid'),
        422,
        'VALIDATION_FAILED',
      );
      expect(err.details).toEqual([{ field: 'id', message: 'id must be a UUID' }]);
    });

    it('is 404 for someone who has blocked the caller, but the blocker still sees them', async () => {
      const [eve, frank] = await Promise.all([
        signUpClient(t.url, smtp),
        signUpClient(t.url, smtp),
      ]);
      await eve.post('/api/v1/users/me/blocks', { userId: frank.id }).expect(201);
      expectErrorEnvelope(await frank.get(`/api/v1/users/${eve.id}`), 404, 'USER_NOT_FOUND');
      await eve.get(`/api/v1/users/${frank.id}`).expect(200);
    });

    it('is 401 without a token', async () => {
      expectErrorEnvelope(
        await request(t.url).get(`/api/v1/users/${alice.id}`),
        401,
        'UNAUTHORIZED',
      );
    });
  });
});
