import { createClient, type BaatCheetClient, type SessionEndReason } from '../../sdk/src';
import { startTestApp, type TestApp } from '../support/app';
import { ALLOWED_ORIGIN, signUpBearer, smtpOtpReader, type BearerSession } from '../support/auth';
import { decodeJwt, forgeAccessToken } from '../support/jwt';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

/**
 * What a browser does for the SDK in cookie mode, done by hand in Node: keep the Set-Cookie
 * cookies (name → value; paths ignored, the test only talks to one origin) and send them back,
 * and send the page's Origin. The SDK itself never reads a token in this mode.
 */
function browserLikeFetch(): { fetch: typeof fetch; jar: Map<string, string> } {
  const jar = new Map<string, string>();
  const wrapped: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    if (jar.size > 0) {
      headers.set('Cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await fetch(input, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  };
  return { fetch: wrapped, jar };
}

describe('SDK in cookie mode against the real server', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let session: BearerSession;
  let client: BaatCheetClient;
  let jar: Map<string, string>;
  const ended: SessionEndReason[] = [];
  const bodies: string[] = [];

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    session = await signUpBearer(t.url, smtpOtpReader(smtp));
    const browser = browserLikeFetch();
    jar = browser.jar;
    client = createClient({
      baseUrl: t.url,
      fetch: async (input, init) => {
        if (typeof init?.body === 'string') bodies.push(init.body);
        return browser.fetch(input, init);
      },
      headers: { Origin: ALLOWED_ORIGIN },
      onSessionEnded: (reason) => ended.push(reason),
    });
  });
  afterAll(async () => {
    client?.close();
    await t?.close();
    await smtp?.stop();
  });

  it('signs in with cookies only: no token reaches the SDK', async () => {
    const { user } = await client.auth.login({
      login: session.credentials.email,
      password: session.credentials.password,
    });
    expect(user.id).toBe(session.userId);
    expect(client.tokens).toBeNull();
    expect([...jar.keys()].sort()).toEqual(['access_token', 'refresh_token']);
    expect((await client.users.me()).id).toBe(session.userId);
  });

  it('refreshes through the refresh cookie when the access cookie has expired, once for concurrent calls', async () => {
    const { sid } = decodeJwt(jar.get('access_token')!).payload as { sid: string };
    const now = Math.floor(Date.now() / 1000);
    jar.set(
      'access_token',
      forgeAccessToken(t.config, session.userId, sid, {
        claims: { iat: now - 120, exp: now - 60 },
      }),
    );
    const oldRefresh = jar.get('refresh_token');
    bodies.length = 0;
    const [me, conversations, sessions] = await Promise.all([
      client.users.me(),
      client.conversations.list(),
      client.auth.sessions(),
    ]);
    expect(me.id).toBe(session.userId);
    expect(conversations.items).toEqual([]);
    expect(sessions.some((s) => s.current)).toBe(true);
    expect(client.refreshCount).toBe(1);
    expect(jar.get('refresh_token')).not.toBe(oldRefresh);
    // The refresh body carries no token in cookie mode.
    expect(bodies).toEqual(['{}']);
    expect(ended).toEqual([]);
  });

  it('logs out: cookies cleared, session over', async () => {
    await client.auth.logout();
    expect(ended).toEqual(['signed_out']);
    expect(jar.size).toBe(0);
    await expect(client.users.me()).rejects.toMatchObject({ status: 401 });
  });
});
