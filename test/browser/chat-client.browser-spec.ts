import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { WsServer, userRoom } from '../../src/modules/chat/ws-server';
import { startTestApp, type TestApp } from '../support/app';
import { newCredentials, type Credentials } from '../support/auth';
import { freePort } from '../support/ports';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait';
import { launchChromium } from './support/chromium';
import { buildClient } from './support/client-build';
import { otpFromMailFolder } from './support/mail-folder';
import { htmlRoute, serveStatic, type StaticServer } from './support/static-server';

/**
 * The web client (client/) in Debian's chromium against a real API: the client on
 * http://localhost:<c>, the API on http://localhost:<a> (same site, cross-origin: CORS and
 * SameSite=Lax cookies as in a real deployment), and an attacker page on http://127.0.0.1:<f>
 * (another site) and on http://localhost:<f> (same site, origin not allowed).
 */
/** What the page functions below touch (the test compiles without the DOM library). */
interface BrowserGlobals {
  document: { cookie: string; getElementById(id: string): { submit(): void } };
  readProfile(): Promise<string>;
}
interface ImageLike {
  complete: boolean;
  naturalWidth: number;
}

const SCREENSHOTS = path.resolve(__dirname, '../../test-results/browser');
const UI_TIMEOUT = 15_000;

describe('web client in a real browser', () => {
  let api: TestApp;
  let proxy: TcpProxy;
  let client: StaticServer;
  let foreign: StaticServer;
  let browser: Browser;
  let mailDir: string;
  let buildDir: string;
  let clientUrl: string;
  let apiUrl: string;
  let foreignPort: number;
  const contexts: BrowserContext[] = [];
  /** Uncaught exceptions in any page: the client must not throw, whatever it shows. */
  const pageErrors: string[] = [];
  let alice: { context: BrowserContext; page: Page; credentials: Credentials };
  let bob: { context: BrowserContext; page: Page; credentials: Credentials };

  async function newPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    await page.goto(clientUrl);
    return page;
  }

  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    contexts.push(context);
    return context;
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  }

  /** What the page's own origin gets from the API with its cookies (the client origin is allowed). */
  async function apiFromPage<T = unknown>(
    page: Page,
    pathname: string,
  ): Promise<{ status: number; data: T }> {
    return page.evaluate(
      async ([url]) => {
        const res = await fetch(url, { credentials: 'include' });
        const body = (await res.json()) as { data?: unknown };
        return { status: res.status, data: body.data as T };
      },
      [`${apiUrl}/api/v1${pathname}`],
    );
  }

  async function socketsOf(userId: string): Promise<number> {
    const server = api.app.get(WsServer).attached;
    if (!server) throw new Error('Socket.IO server not attached');
    return (await server.in(userRoom(userId)).fetchSockets()).length;
  }

  async function signUp(page: Page, credentials: Credentials): Promise<void> {
    await page.getByRole('button', { name: 'Create account' }).click();
    const form = page.getByRole('form', { name: 'Create account' });
    await form.getByLabel('Username').fill(credentials.username);
    await form.getByLabel('Email').fill(credentials.email);
    await form.getByLabel('Password').fill(credentials.password);
    await form.getByRole('button', { name: 'Send me a code' }).click();
    const verify = page.getByRole('form', { name: 'Verify email' });
    await verify.waitFor();
    await verify.getByLabel('Code').fill(await otpFromMailFolder(mailDir, credentials.email));
    await verify.getByRole('button', { name: 'Verify' }).click();
    await page.getByTestId('me').filter({ hasText: credentials.username }).waitFor();
    await page.getByTestId('connection').filter({ hasText: 'connected' }).waitFor();
  }

  async function signIn(page: Page, login: string, password: string): Promise<void> {
    const form = page.getByRole('form', { name: 'Sign in' });
    await form.getByLabel('Username or email').fill(login);
    await form.getByLabel('Password').fill(password);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('connection').filter({ hasText: 'connected' }).waitFor();
  }

  function conversation(page: Page, title: string) {
    return page.getByTestId('conversation').and(page.locator(`[data-title="${title}"]`));
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    mailDir = mkdtempSync(path.join(tmpdir(), 'baatcheet-browser-mail-'));
    const clientPort = await freePort();
    foreignPort = await freePort();
    clientUrl = `http://localhost:${clientPort}`;
    api = await startTestApp({ env: { CORS_ORIGINS: clientUrl, MAIL_DEV_DIR: mailDir } });
    // startTestApp listens on an OS-chosen port; the proxy's port is known before the build.
    proxy = await startTcpProxy({ port: Number(new URL(api.url).port) });
    apiUrl = `http://localhost:${proxy.port}`;
    buildDir = await buildClient(apiUrl);
    client = await serveStatic(buildDir, clientPort);
    foreign = await serveStatic(buildDir, foreignPort, [
      htmlRoute(
        '/attack',
        `<!doctype html><meta charset="utf-8"><title>Not Baat Cheet</title>
<h1>Win a prize</h1>
<form id="csrf" method="POST" action="${apiUrl}/api/v1/auth/logout"></form>
<script>
  window.readProfile = async () => {
    try {
      const res = await fetch(${JSON.stringify(`${apiUrl}/api/v1/users/me`)}, { credentials: 'include' });
      return 'readable ' + res.status + ' ' + (await res.text());
    } catch (error) {
      return 'blocked ' + error.name;
    }
  };
</script>`,
      ),
    ]);
    browser = await launchChromium();
  }, 180_000);

  afterEach(() => {
    expect(pageErrors).toEqual([]);
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await client?.close();
    await foreign?.close();
    await proxy?.close();
    await api?.close();
    for (const dir of [mailDir, buildDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('registers two people through the OTP mailed to the development folder', async () => {
    const [aliceContext, bobContext] = [await newContext(), await newContext()];
    alice = {
      context: aliceContext,
      page: await newPage(aliceContext),
      credentials: newCredentials({ username: `alice_${Date.now() % 100000}` }),
    };
    bob = {
      context: bobContext,
      page: await newPage(bobContext),
      credentials: newCredentials({ username: `bob_${Date.now() % 100000}` }),
    };
    await alice.page.getByRole('form', { name: 'Sign in' }).waitFor();
    await shot(alice.page, 'login');
    await signUp(alice.page, alice.credentials);
    await signUp(bob.page, bob.credentials);

    // Cookie mode: the session cookies are httpOnly, so no script on the page can read them.
    const cookies = await alice.context.cookies();
    expect(cookies.map((c) => c.name).sort()).toEqual(['access_token', 'refresh_token']);
    expect(cookies.every((c) => c.httpOnly && c.sameSite === 'Lax')).toBe(true);
    expect(
      await alice.page.evaluate(() => (globalThis as unknown as BrowserGlobals).document.cookie),
    ).toBe('');
  }, 90_000);

  it('finds the other person and chats both ways with unread badges, receipts, typing and presence', async () => {
    const a = alice.page;
    const b = bob.page;
    await a.getByRole('button', { name: 'New chat' }).click();
    await a.getByLabel('Search people').fill(bob.credentials.username.slice(0, 6));
    const person = a.locator(`[data-testid="person"][data-username="${bob.credentials.username}"]`);
    await person.getByRole('button', { name: 'Message' }).click();
    await a.getByTestId('chat-title').filter({ hasText: bob.credentials.username }).waitFor();
    await a.getByTestId('peer-presence').filter({ hasText: 'online' }).waitFor();

    await a.getByLabel('Message').fill('Hi Bob, this is Alice');
    await a.getByRole('button', { name: 'Send' }).click();
    await a.getByTestId('message').filter({ hasText: 'Hi Bob, this is Alice' }).waitFor();
    await a.getByTestId('receipt').filter({ hasText: '✓' }).first().waitFor();
    expect(await a.getByTestId('receipt').first().getAttribute('data-state')).toBe('sent');

    // Bob was not looking: the new conversation appears live with an unread badge.
    const fromAlice = conversation(b, alice.credentials.username);
    await fromAlice.getByTestId('unread-badge').filter({ hasText: '1' }).waitFor();
    await shot(b, 'conversation-list');

    await fromAlice.click();
    await b.getByTestId('message').filter({ hasText: 'Hi Bob, this is Alice' }).waitFor();
    await fromAlice.getByTestId('unread-badge').waitFor({ state: 'detached' });
    // Bob's read receipt reaches Alice's open chat.
    await a.locator('[data-testid="receipt"][data-state="read"]').waitFor();

    // Bob types: Alice sees it; Bob sends: the indicator goes and the reply arrives.
    await b.getByLabel('Message').fill('Hello Alice!');
    await a
      .getByTestId('typing')
      .filter({ hasText: `${bob.credentials.username} is typing` })
      .waitFor();
    await shot(a, 'chat-typing');
    await b.getByRole('button', { name: 'Send' }).click();
    await a.getByTestId('message').filter({ hasText: 'Hello Alice!' }).waitFor();
    await a.getByTestId('typing').filter({ hasNotText: 'typing' }).waitFor();
    await b.locator('[data-testid="receipt"][data-state="read"]').waitFor();

    const list = await apiFromPage<unknown[]>(b, '/conversations');
    expect(list.status).toBe(200);
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({ lastSeq: 2, lastReadSeq: 2, unreadCount: 0 });
    await shot(b, 'chat');
  }, 90_000);

  it('creates a group that the other member sees live', async () => {
    const a = alice.page;
    await a.getByRole('button', { name: 'New chat' }).click();
    await a.getByLabel('Search people').fill(bob.credentials.username);
    await a.getByLabel(`Add ${bob.credentials.username} to group`).check();
    await a.getByLabel('Group name').fill('Weekend plans');
    await a.getByRole('button', { name: /Create group/ }).click();
    await a.getByTestId('chat-title').filter({ hasText: 'Weekend plans' }).waitFor();
    await a.getByLabel('Message').fill('Hiking on Saturday?');
    await a.getByRole('button', { name: 'Send' }).click();
    await conversation(bob.page, 'Weekend plans')
      .getByTestId('unread-badge')
      .filter({ hasText: '1' })
      .waitFor();
  }, 60_000);

  it('uploads an image through the presigned flow and sends it in a message', async () => {
    const a = alice.page;
    const picture = await sharp(
      Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200">
          <rect width="320" height="200" fill="#bcd4ff"/>
          <circle cx="250" cy="55" r="28" fill="#ffd166"/>
          <path d="M0 200 L90 90 L160 160 L220 110 L320 200 Z" fill="#2f6fed"/>
        </svg>`,
      ),
    )
      .png()
      .toBuffer();
    await conversation(a, bob.credentials.username).click();
    const uploads: string[] = [];
    a.on('request', (req) => {
      if (req.url().startsWith(apiUrl) && req.url().includes('/media/')) {
        uploads.push(`${req.method()} ${new URL(req.url()).pathname}`);
      }
    });
    await a
      .getByTestId('attach-input')
      .setInputFiles({ name: 'hills.png', mimeType: 'image/png', buffer: picture });
    const chip = a.getByTestId('pending-attachment');
    await chip.waitFor();
    const mediaId = await chip.getAttribute('data-media-id');
    expect(mediaId).toBeTruthy();
    expect(uploads).toEqual(
      expect.arrayContaining([
        'POST /api/v1/media/uploads',
        'PUT /api/v1/media/local/upload',
        `POST /api/v1/media/uploads/${mediaId}/complete`,
      ]),
    );
    // The preview is the stored object, read back through its signed download URL.
    await waitFor('the uploaded image to render', () =>
      chip.locator('img').evaluate((img: ImageLike) => img.complete && img.naturalWidth === 320),
    );
    const media = await apiFromPage(a, `/media/${mediaId}`);
    expect(media.status).toBe(200);
    expect(media.data).toMatchObject({
      id: mediaId,
      status: 'ready',
      contentType: 'image/png',
      size: picture.length,
      width: 320,
      height: 200,
    });

    await a.getByLabel('Message').fill('a tiny picture');
    await a.getByRole('button', { name: 'Send' }).click();
    await chip.waitFor({ state: 'detached' });
    // Both sides render the attachment (its thumbnail, once made) from the API's signed URL.
    for (const page of [a, bob.page]) {
      const sent = page.getByTestId('message').filter({ hasText: 'a tiny picture' });
      await waitFor(
        'the attachment to render',
        () =>
          sent
            .getByTestId('message-image')
            .evaluate((img: ImageLike) => img.complete && img.naturalWidth > 0),
        { timeoutMs: UI_TIMEOUT },
      );
    }
    await shot(bob.page, 'chat-with-image');
  }, 60_000);

  it('keeps the session across a reload', async () => {
    const a = alice.page;
    await a.reload();
    await a.getByTestId('me').filter({ hasText: alice.credentials.username }).waitFor();
    await a.getByTestId('connection').filter({ hasText: 'connected' }).waitFor();
    await conversation(a, bob.credentials.username).waitFor();
  }, 30_000);

  it('refuses a page on a foreign origin the use of the cookies (CORS and CSRF)', async () => {
    const me = await apiFromPage<{ id: string }>(alice.page, '/users/me');
    expect(me.status).toBe(200);

    for (const host of ['127.0.0.1', 'localhost']) {
      // 127.0.0.1 is another site (Lax cookies stay home); localhost:<f> is the same site but an
      // origin outside CORS_ORIGINS (cookies go along, the Origin check refuses).
      const evil = await alice.context.newPage();
      await evil.goto(`http://${host}:${foreignPort}/attack`);
      expect(
        await evil.evaluate(() => (globalThis as unknown as BrowserGlobals).readProfile()),
      ).toBe('blocked TypeError');

      const [response] = await Promise.all([
        evil.waitForNavigation(),
        evil.evaluate(() =>
          (globalThis as unknown as BrowserGlobals).document.getElementById('csrf').submit(),
        ),
      ]);
      const body = JSON.parse(await evil.locator('body').innerText()) as {
        error: { code: string };
      };
      if (host === 'localhost') {
        expect(response?.status()).toBe(403);
        expect(body.error.code).toBe('CSRF_ORIGIN_REJECTED');
      } else {
        expect(response?.status()).toBe(401);
      }
      await evil.close();
    }
    // Nothing happened to the session.
    expect((await apiFromPage<{ id: string }>(alice.page, '/users/me')).status).toBe(200);
    await waitFor('only the client tab connected', async () => (await socketsOf(me.data.id)) === 1);
  }, 60_000);

  it('revokes another session from the session list, which signs that device out', async () => {
    const other = await newPage(await newContext());
    await signIn(other, bob.credentials.email, bob.credentials.password);
    const b = bob.page;
    await b.getByRole('button', { name: 'Sessions' }).click();
    const sessions = b.getByTestId('session');
    await waitFor('two sessions listed', async () => (await sessions.count()) === 2);
    await shot(b, 'sessions');
    await b
      .locator('[data-testid="session"][data-current="false"]')
      .getByRole('button', { name: 'Revoke' })
      .click();
    await other.getByTestId('auth-notice').filter({ hasText: 'signed out' }).waitFor();
    await waitFor('one session left', async () => (await sessions.count()) === 1);
    await other.close();
  }, 60_000);

  it('signing out in one tab ends the socket of another tab, and signing in by username works', async () => {
    const first = alice.page;
    const second = await newPage(alice.context);
    await second.getByTestId('connection').filter({ hasText: 'connected' }).waitFor();
    const me = await apiFromPage<{ id: string }>(first, '/users/me');
    await waitFor('both tabs connected', async () => (await socketsOf(me.data.id)) === 2);

    await first.getByRole('button', { name: 'Sign out' }).click();
    await first.getByRole('form', { name: 'Sign in' }).waitFor();
    await second.getByTestId('auth-notice').filter({ hasText: 'signed out' }).waitFor();
    await waitFor('no socket left', async () => (await socketsOf(me.data.id)) === 0);
    expect(await alice.context.cookies()).toEqual([]);

    await signIn(second, alice.credentials.username, alice.credentials.password);
    await conversation(second, bob.credentials.username).waitFor();
    await second.close();
  }, 60_000);
});
