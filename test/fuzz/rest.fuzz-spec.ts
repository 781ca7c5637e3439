import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import request, { type Response, type Test } from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import {
  ALLOWED_ORIGIN,
  cookieHeader,
  cookiesFrom,
  loginBearer,
  loginCookie,
  meBearer,
} from '../support/auth';
import { asUser, directBetween, groupOf, sendText, type ChatUser } from '../support/chat';
import { ProbeModule } from '../support/probe.module';
import { deleteKeysUnder, rawRedis } from '../support/redis';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { signUpClient } from '../support/users';
import { checkHttpAnswer, DatabaseFingerprint, expectAlive } from './support/invariants';
import {
  concretePath,
  operationsOf,
  requestArbitrary,
  type FuzzRequest,
  type KnownIds,
  type OpenApiDocument,
  type Operation,
} from './support/openapi';
import { assertProperty, fuzzSettings, FuzzSummary } from './support/settings';

const settings = fuzzSettings({ restRuns: 40, socketRuns: 60 });
const FOREIGN_ORIGIN = 'https://evil.example';
const UNSAFE = new Set(['post', 'put', 'patch', 'delete']);

/**
 * Property-based fuzzing of every operation in the app's own OpenAPI document (GET /docs-json),
 * so a new endpoint is fuzzed without touching this file. Each run sends one request built from
 * the operation's schema and then mutated (types, missing and extra fields, huge and unicode
 * strings, nesting, numbers out of range, prototype keys, duplicated query parameters, malformed
 * JSON, foreign content types, invalid UTF-8, hostile path segments), unauthenticated or as a real
 * user by bearer or cookie. Invariants: no 5xx, a valid error envelope with a known code for every
 * 4xx, the database untouched by every rejected request, and the process alive after each operation.
 */
describe('fuzz: REST operations from the OpenAPI document', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let fingerprint: DatabaseFingerprint;
  let operations: Operation[];
  let probeOperations: Operation[];
  let fuzzer: ChatUser;
  let known: KnownIds;
  let cookies: Record<string, string>;
  let mediaDir: string;
  const summary = new FuzzSummary();

  /** Some generated requests log the fuzzer out (logout, logout-all): sign back in before the next. */
  let sessionMayBeGone = false;

  const reLogin = async (): Promise<void> => {
    const redis = rawRedis();
    try {
      // Fuzzed logins spend the IP's failure budget; the fuzzer's own sign-in must not wait a minute.
      await deleteKeysUnder(redis, `${t.config.redis.keyPrefix}login:fail:`);
    } finally {
      redis.disconnect();
    }
    const { email, password } = fuzzer.session.credentials;
    const bearer = await loginBearer(t.url, email, password);
    const web = await loginCookie(t.url, email, password);
    if (bearer.status !== 200 || web.status !== 200) {
      throw new Error(`re-login failed: ${bearer.status} ${web.status}`);
    }
    fuzzer.session.accessToken = bearer.body.data.tokens.accessToken as string;
    fuzzer.session.refreshToken = bearer.body.data.tokens.refreshToken as string;
    cookies = cookiesFrom(web);
  };

  const ensureSession = async (): Promise<void> => {
    if (!sessionMayBeGone) return;
    sessionMayBeGone = false;
    const bearer = await meBearer(t.url, fuzzer.session.accessToken);
    const web = await request(t.url).get('/api/v1/users/me').set('Cookie', cookieHeader(cookies));
    if (bearer.status !== 200 || web.status !== 200) await reLogin();
  };

  beforeAll(async () => {
    console.log(
      `REST fuzz: seed ${settings.seed}, ${settings.restRuns} runs per operation (FUZZ_SEED, FUZZ_RUNS)`,
    );
    mediaDir = mkdtempSync(join(tmpdir(), 'baatcheet-fuzz-media-'));
    smtp = await startSmtpServer();
    t = await startTestApp({
      env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50', MEDIA_LOCAL_DIR: mediaDir },
      imports: [ProbeModule],
    });
    const docs = await request(t.url).get('/docs-json').expect(200);
    const all = operationsOf(docs.body as OpenApiDocument);
    // The probe's test-only routes (one throws, one hangs) are not part of the product.
    probeOperations = all.filter((operation) => operation.path.startsWith('/api/v1/probe'));
    operations = all.filter((operation) => !probeOperations.includes(operation));

    const [a, b] = await Promise.all([signUpClient(t.url, smtp), signUpClient(t.url, smtp)]);
    fuzzer = asUser(t.url, a.session);
    const peer = asUser(t.url, b.session);
    const direct = await directBetween(fuzzer, peer);
    const group = await groupOf(fuzzer, [peer], 'fuzz group');
    const message = await sendText(fuzzer, direct, 'fuzz target');
    const web = await loginCookie(
      t.url,
      a.session.credentials.email,
      a.session.credentials.password,
    );
    cookies = cookiesFrom(web);
    known = {
      uuids: [fuzzer.id, peer.id, direct, group, message.id],
      emails: [a.session.credentials.email, b.session.credentials.email],
    };
    fingerprint = await DatabaseFingerprint.open(t.database!.url);
  }, 60_000);

  afterAll(async () => {
    await fingerprint?.close();
    await t?.close();
    await smtp?.stop();
    if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
  });

  it('derives the operations from the document, with the contract paths among them', () => {
    const names = operations.map((operation) => operation.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /api/v1/auth/login',
        'GET /api/v1/users',
        'POST /api/v1/conversations/{id}/messages',
        'PUT /api/v1/conversations/{id}/messages/{messageId}/reactions/{emoji}',
        'POST /api/v1/media/uploads',
      ]),
    );
    expect(operations.filter((operation) => operation.body).length).toBeGreaterThan(10);
  });

  const send = (operation: Operation, input: FuzzRequest): Test => {
    const path = concretePath(operation, input);
    let req = request(t.url)[operation.method](path).timeout(20_000);
    switch (input.auth) {
      case 'bearer':
        req = req.set('Authorization', `Bearer ${fuzzer.session.accessToken}`);
        break;
      case 'bearer-garbage':
        req = req.set('Authorization', `${input.garbageScheme}${input.garbageToken}`);
        break;
      case 'cookie-garbage':
        req = req.set(
          'Cookie',
          `access_token=${input.garbageCookies[0]}; refresh_token=${input.garbageCookies[1]}`,
        );
        if (UNSAFE.has(operation.method)) req = req.set('Origin', ALLOWED_ORIGIN);
        break;
      case 'cookie':
      case 'cookie-foreign-origin':
        req = req.set('Cookie', cookieHeader(cookies));
        if (UNSAFE.has(operation.method)) {
          req = req.set('Origin', input.auth === 'cookie' ? ALLOWED_ORIGIN : FOREIGN_ORIGIN);
        }
        break;
      case 'none':
        break;
    }
    if (input.bearerTransportHeader) req = req.set('X-Auth-Transport', 'bearer');
    if (input.requestId !== undefined) req = req.set('X-Request-Id', input.requestId);
    const { body } = input;
    switch (body.kind) {
      case 'none':
        return req;
      case 'json':
      case 'foreign':
        return req.set('Content-Type', body.contentType).send(body.text);
      case 'bytes':
        return req.set('Content-Type', body.contentType).send(body.bytes);
    }
  };

  /** One property: `runs` generated requests to `operation`, each checked against the invariants. */
  const fuzzOperation = (operation: Operation, runs: number, record = true): Promise<void> =>
    assertProperty(
      operation.name,
      settings,
      runs,
      fc.asyncProperty(requestArbitrary(operation, known), async (input) => {
        await ensureSession();
        const before = await fingerprint.take();
        let res: Response;
        try {
          res = await send(operation, input);
        } catch (error) {
          throw new Error(`${input.mutation}: no answer (${String(error)})`);
        }
        const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code;
        if (record)
          summary.count(
            operation.name,
            process.env.FUZZ_DEBUG
              ? `${input.auth}/${res.status}/${code ?? ''}`
              : String(res.status),
          );
        if (input.auth === 'cookie' || input.auth === 'cookie-foreign-origin') {
          Object.assign(cookies, cookiesFrom(res));
        }
        if (
          (res.status < 300 && operation.path.startsWith('/api/v1/auth/')) ||
          res.headers['set-cookie'] !== undefined
        ) {
          sessionMayBeGone = true;
        }
        try {
          checkHttpAnswer(res, operation.path);
          if (res.status >= 400) {
            DatabaseFingerprint.expectSame(
              before,
              await fingerprint.take(),
              `a rejected request (${res.status} ${code})`,
            );
          }
        } catch (error) {
          throw new Error(
            `${concretePath(operation, input).slice(0, 200)} [${input.auth}; ${input.mutation}] → ${(error as Error).message}`,
          );
        }
      }),
    );

  it('fails on a 5xx: the probe route that throws is caught by the same property', async () => {
    const boom = probeOperations.find((operation) => operation.name === 'GET /api/v1/probe/boom');
    expect(boom).toBeDefined();
    await expect(fuzzOperation(boom!, 30, false)).rejects.toThrow(/500 answer/);
  });

  it('notices a database change', async () => {
    const before = await fingerprint.take();
    await sendText(fuzzer, known.uuids[2], 'changes the fingerprint');
    const after = await fingerprint.take();
    expect(() => DatabaseFingerprint.expectSame(before, after, 'sending a message')).toThrow(
      /messages/,
    );
  });

  it(
    'holds the invariants for every operation',
    async () => {
      expect(operations.length).toBeGreaterThan(0);
      const failures: string[] = [];
      for (const operation of operations) {
        try {
          await fuzzOperation(operation, settings.restRuns);
        } catch (error) {
          failures.push((error as Error).message);
          console.error((error as Error).message);
        }
        await expectAlive(t.url);
      }
      summary.print('REST fuzz', settings, settings.restRuns);
      expect(failures).toEqual([]);
    },
    Math.max(170_000, settings.restRuns * 4_000),
  );
});
