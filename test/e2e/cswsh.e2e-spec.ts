import * as http from 'node:http';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { cookieHeader, cookiesFrom } from '../support/auth';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { closeAllSockets, connectRefused, connectSocket, emitWithAck } from '../support/socket';
import { signUpClient, type Client } from '../support/users';

/**
 * Cross-site WebSocket hijacking: a page on another origin opens a Socket.IO connection and the
 * browser attaches the victim's access_token cookie. Browsers apply no CORS to WebSocket upgrades
 * and send simple polling GET/POSTs cross-site too, so the server itself must refuse any Origin
 * that is not exactly one of CORS_ORIGINS, on both transports. socket-auth.e2e-spec.ts covers the
 * cookie without an Origin and bearer tokens from foreign origins; this file covers the cookie
 * against every kind of near-miss origin, with the Engine.IO polling protocol spoken by hand.
 */
const ALLOWED = 'http://app.example.test';
const HOSTILE_ORIGINS: [string, string][] = [
  ['a foreign origin', 'https://evil.example'],
  ['Origin: null (sandboxed iframe, file:, data: URL)', 'null'],
  ['a sibling subdomain of the allowed origin', 'http://evil.app.example.test'],
  ['the parent domain of the allowed origin', 'http://example.test'],
  ['the allowed host under another scheme', 'https://app.example.test'],
  ['the allowed host on another port', 'http://app.example.test:8080'],
  ['the allowed host as a prefix of another domain', 'http://app.example.test.evil.example'],
];

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function raw(
  url: string,
  method: 'GET' | 'POST',
  headers: Record<string, string>,
  body?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Engine.IO v4 packets of one polling payload (separated by the record separator 0x1e). */
function packetsOf(payload: string): string[] {
  return payload.split('\x1e').filter((packet) => packet.length > 0);
}

interface PollingOutcome {
  handshake: RawResponse;
  /** The Socket.IO packets the server answered the namespace CONNECT with. */
  packets: string[];
}

/**
 * What a hostile page can make a browser do over polling: the open GET, the CONNECT POST to the
 * default namespace (text/plain, a "simple" request no preflight stops), then the GET that reads
 * the server's answer. Every request carries the given Origin and Cookie.
 */
async function connectOverPolling(
  baseUrl: string,
  headers: Record<string, string>,
): Promise<PollingOutcome> {
  const path = `${baseUrl}/socket.io/?EIO=4&transport=polling`;
  const handshake = await raw(`${path}&t=${Date.now()}`, 'GET', headers);
  expect(handshake.status).toBe(200);
  const open = packetsOf(handshake.body)[0];
  expect(open.startsWith('0')).toBe(true);
  const { sid } = JSON.parse(open.slice(1)) as { sid: string };
  const sent = await raw(
    `${path}&sid=${encodeURIComponent(sid)}`,
    'POST',
    { ...headers, 'Content-Type': 'text/plain;charset=UTF-8' },
    '40',
  );
  expect({ status: sent.status, body: sent.body }).toEqual({ status: 200, body: 'ok' });
  const answer = await raw(
    `${path}&sid=${encodeURIComponent(sid)}&t=${Date.now()}`,
    'GET',
    headers,
  );
  expect(answer.status).toBe(200);
  // 4 = Engine.IO "message"; what follows is the Socket.IO packet (0 CONNECT, 4 CONNECT_ERROR).
  const packets = packetsOf(answer.body)
    .filter((packet) => packet.startsWith('4'))
    .map((packet) => packet.slice(1));
  // Closes the Engine.IO session (1 = close) so nothing lingers until the ping timeout.
  await raw(`${path}&sid=${encodeURIComponent(sid)}`, 'POST', headers, '1').catch(() => undefined);
  return { handshake, packets };
}

function connectErrorOf(packets: string[]): { message?: string; data?: { code?: string } } {
  expect(packets).toHaveLength(1);
  expect(packets[0].startsWith('4')).toBe(true);
  return JSON.parse(packets[0].slice(1)) as { message?: string; data?: { code?: string } };
}

describe('CSWSH: Socket.IO handshakes from other origins with a valid cookie', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let alice: Client;
  let cookie: string;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, CORS_ORIGINS: ALLOWED } });
    alice = await signUpClient(t.url, smtp);
    const login = await request(t.url).post('/api/v1/auth/login').set('Origin', ALLOWED).send({
      email: alice.session.credentials.email,
      password: alice.session.credentials.password,
    });
    expect(login.status).toBe(200);
    cookie = cookieHeader(cookiesFrom(login));
    expect(cookie).toContain('access_token=');
  });
  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
    await smtp?.stop();
  });

  describe('websocket transport', () => {
    it('accepts the cookie from the allowed origin', async () => {
      const socket = await connectSocket(t.url, {
        headers: { Origin: ALLOWED, Cookie: cookie },
        transports: ['websocket'],
      });
      expect(socket.connected).toBe(true);
      // A real session: an authenticated event answers.
      expect(await emitWithAck(socket, 'typing:start', {})).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED' },
      });
    });

    it.each(HOSTILE_ORIGINS)('refuses %s (%s)', async (_name, origin) => {
      const refused = await connectRefused(t.url, {
        headers: { Origin: origin, Cookie: cookie },
        transports: ['websocket'],
      });
      expect(refused.code).toBe('CSRF_ORIGIN_REJECTED');
    });
  });

  describe('polling transport (raw Engine.IO requests)', () => {
    it('accepts the cookie from the allowed origin, with CORS headers for it', async () => {
      const { handshake, packets } = await connectOverPolling(t.url, {
        Origin: ALLOWED,
        Cookie: cookie,
      });
      expect(handshake.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(handshake.headers['access-control-allow-credentials']).toBe('true');
      expect(packets).toHaveLength(1);
      expect(packets[0]).toMatch(/^0\{"sid":"[^"]+"\}$/);
    });

    it.each(HOSTILE_ORIGINS)('refuses %s (%s)', async (_name, origin) => {
      const { handshake, packets } = await connectOverPolling(t.url, {
        Origin: origin,
        Cookie: cookie,
      });
      // The browser may not even read the answers: no CORS grant for that origin.
      expect(handshake.headers['access-control-allow-origin']).toBeUndefined();
      expect(connectErrorOf(packets)).toEqual({
        message: expect.any(String),
        data: { code: 'CSRF_ORIGIN_REJECTED', message: expect.any(String) },
      });
    });

    it('ignores the cookie when the opening request has no Origin (an <img> or <script> GET)', async () => {
      // Such subresource GETs carry cookies (where SameSite allows) but no Origin; the CONNECT that
      // follows must be a POST, which does carry one, but the session's credentials are fixed by
      // the opening request.
      const path = `${t.url}/socket.io/?EIO=4&transport=polling`;
      const handshake = await raw(`${path}&t=${Date.now()}`, 'GET', { Cookie: cookie });
      const { sid } = JSON.parse(packetsOf(handshake.body)[0].slice(1)) as { sid: string };
      await raw(
        `${path}&sid=${encodeURIComponent(sid)}`,
        'POST',
        { Origin: ALLOWED, Cookie: cookie, 'Content-Type': 'text/plain;charset=UTF-8' },
        '40',
      );
      const answer = await raw(`${path}&sid=${encodeURIComponent(sid)}&t=${Date.now()}`, 'GET', {
        Cookie: cookie,
      });
      const packets = packetsOf(answer.body)
        .filter((packet) => packet.startsWith('4'))
        .map((packet) => packet.slice(1));
      expect(connectErrorOf(packets).data?.code).toBe('UNAUTHORIZED');
    });

    it('lets the opening request decide: a later allowed-origin CONNECT does not launder a hostile one', async () => {
      // Socket.IO reads the Origin and Cookie of the request that opened the Engine.IO session:
      // the attacker's page opens it, so a CONNECT sent later with other headers changes nothing.
      const path = `${t.url}/socket.io/?EIO=4&transport=polling`;
      const handshake = await raw(`${path}&t=${Date.now()}`, 'GET', {
        Origin: 'http://evil.app.example.test',
        Cookie: cookie,
      });
      const { sid } = JSON.parse(packetsOf(handshake.body)[0].slice(1)) as { sid: string };
      await raw(
        `${path}&sid=${encodeURIComponent(sid)}`,
        'POST',
        { Origin: ALLOWED, Cookie: cookie, 'Content-Type': 'text/plain;charset=UTF-8' },
        '40',
      );
      const answer = await raw(`${path}&sid=${encodeURIComponent(sid)}&t=${Date.now()}`, 'GET', {
        Origin: ALLOWED,
        Cookie: cookie,
      });
      const packets = packetsOf(answer.body)
        .filter((packet) => packet.startsWith('4'))
        .map((packet) => packet.slice(1));
      expect(connectErrorOf(packets).data?.code).toBe('CSRF_ORIGIN_REJECTED');
    });
  });
});
