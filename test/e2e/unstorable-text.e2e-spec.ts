import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { asUser, clientId, directBetween, type ChatUser } from '../support/chat';
import { expectErrorEnvelope } from '../support/envelope';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { closeAllSockets, connectSocket, emitWithAck } from '../support/socket';
import { signUpClient } from '../support/users';

/**
 * Regressions found by the fuzzer (test/fuzz): text PostgreSQL cannot store (NUL) and text that is
 * not Unicode (unpaired surrogates, which made validator's isEmail throw a URIError) were 500s.
 * Both are the client's 422 now, on REST and on the socket, and nothing is stored.
 */
describe('text that cannot be stored or is not Unicode', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let alice: ChatUser;
  let direct: string;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    const [a, b] = await Promise.all([signUpClient(t.url, smtp), signUpClient(t.url, smtp)]);
    alice = asUser(t.url, a.session);
    direct = await directBetween(alice, asUser(t.url, b.session));
  });
  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
    await smtp?.stop();
  });

  const history = async (): Promise<unknown[]> =>
    (await alice.get(`/conversations/${direct}/messages`).expect(200)).body.data as unknown[];

  it.each([
    [
      'a message body with NUL',
      () =>
        alice.post(`/conversations/${direct}/messages`, {
          clientMessageId: clientId(),
          body: 'a\u0000b',
        }),
    ],
    ['a bio with NUL', () => alice.patch('/users/me', { bio: 'a\u0000b' })],
    [
      'a group name with NUL',
      () => alice.post('/conversations', { type: 'group', name: 'g\u0000', memberIds: [] }),
    ],
    ['a search prefix with NUL', () => alice.get('/users?q=ab%00')],
    [
      'a login with NUL',
      () =>
        request(t.url)
          .post('/api/v1/auth/login')
          .send({ email: 'a\u0000b@example.com', password: 'whatever-long' }),
    ],
  ])('%s is 422 VALIDATION_FAILED', async (_name, send) => {
    const before = await history();
    expectErrorEnvelope(await send(), 422, 'VALIDATION_FAILED');
    expect(await history()).toEqual(before);
  });

  it.each([
    ['forgot-password', '/api/v1/auth/forgot-password', { email: 'x\udc00\ud800y@example.com' }],
    [
      'register',
      '/api/v1/auth/register',
      {
        username: 'surrogate_user',
        email: 'a\ud800@example.com',
        password: 'correct horse battery staple',
      },
    ],
  ])(
    'an email with unpaired surrogates at %s is 422 naming the field',
    async (_name, path, body) => {
      const res = await request(t.url).post(path).send(body);
      const error = expectErrorEnvelope(res, 422, 'VALIDATION_FAILED');
      expect(error.details).toEqual([
        { field: 'email', message: expect.stringMatching(/surrogate/) },
      ]);
    },
  );

  it('a message body with an unpaired surrogate is 422, not silently replaced', async () => {
    const res = await alice.post(`/conversations/${direct}/messages`, {
      clientMessageId: clientId(),
      body: 'a\uD800b',
    });
    expect(expectErrorEnvelope(res, 422, 'VALIDATION_FAILED').details).toEqual([
      { field: 'body', message: expect.stringMatching(/surrogate/) },
    ]);
  });

  it('message:send with NUL or an unpaired surrogate gets a VALIDATION_FAILED ack and stores nothing', async () => {
    const socket = await connectSocket(t.url, { token: alice.session.accessToken });
    const before = await history();
    for (const body of ['a\u0000b', 'a\uDC00b']) {
      const ack = await emitWithAck(socket, 'message:send', {
        conversationId: direct,
        clientMessageId: clientId(),
        body,
      });
      expect(ack).toEqual({
        ok: false,
        error: { code: 'VALIDATION_FAILED', message: expect.any(String) },
      });
    }
    expect(await history()).toEqual(before);
  });
});
