/**
 * The server scripts/security-scan.sh attacks: a production build of src/ (compiled into
 * .data/scan/dist, so it never disturbs ./dist or the bench build while others work), run as
 * `node main.js` with NODE_ENV=production on loopback, over a throw-away PostgreSQL database, a
 * unique Redis key prefix and an in-process SMTP sink (sign-up OTPs travel the real mail path).
 *
 * It signs up two users, opens a direct conversation between them with a few messages, signs one
 * of them in with cookies, and writes everything the scanners need to the JSON file named by its
 * first argument. It then waits for SIGTERM/SIGINT, and on it stops the server, drops the
 * database and deletes the Redis keys.
 *
 * Usage: node -r ts-node/register/transpile-only scripts/lib/scan-target.ts <out.json>
 * Overrides: SCAN_ADMIN_DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres),
 * SCAN_REDIS_URL (redis://127.0.0.1:6379).
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import request from 'supertest';
import {
  freePort,
  ROOT,
  startProcess,
  stopProcess,
  waitHttpOk,
  type Started,
} from '../../bench/lib/proc';
import { ensureBuild } from '../../bench/lib/server';
import {
  cookiesFrom,
  signUpBearer,
  smtpOtpReader,
  type BearerSession,
} from '../../test/support/auth';
import { startSmtpServer, type TestSmtpServer } from '../../test/support/smtp';

const BUILD_DIR = path.join(ROOT, '.data', 'scan', 'dist');
const WORK_DIR = path.join(ROOT, '.data', 'scan', 'run');
/** The browser origin the scan's server allows (CORS, CSRF and CSWSH checks probe around it). */
export const SCAN_ALLOWED_ORIGIN = 'https://app.example.test';

const log = (line: string): void => {
  process.stderr.write(`[scan-target] ${line}\n`);
};

interface Infra {
  adminUrl: string;
  databaseName: string;
  databaseUrl: string;
  redisUrl: string;
  keyPrefix: string;
}

async function admin(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function cleanup(infra: Infra): Promise<void> {
  await admin(infra.adminUrl, `drop database if exists "${infra.databaseName}" with (force)`).catch(
    (error: unknown) => log(`could not drop ${infra.databaseName}: ${String(error)}`),
  );
  const redis = new Redis(infra.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${infra.keyPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } catch (error) {
    log(`could not delete Redis keys ${infra.keyPrefix}*: ${String(error)}`);
  } finally {
    redis.disconnect();
  }
}

function serverEnv(infra: Infra, port: number, smtp: TestSmtpServer): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    WORKERS: 'on',
    DATABASE_URL: infra.databaseUrl,
    DATABASE_MIGRATE_ON_START: 'true',
    REDIS_URL: infra.redisUrl,
    REDIS_KEY_PREFIX: infra.keyPrefix,
    CORS_ORIGINS: SCAN_ALLOWED_ORIGIN,
    // As behind the shipped nginx; sqlmap's xforwardedfor tamper then spreads its login attempts
    // over many client addresses instead of measuring the per-IP lockout.
    TRUST_PROXY: '1',
    // The global throttle would answer most scanner requests with 429 and hide the handlers.
    THROTTLE_LIMIT: '1000000',
    JWT_ACCESS_SECRET: randomBytes(48).toString('base64url'),
    OTP_SECRET: randomBytes(48).toString('base64url'),
    PASSWORD_PEPPER: randomBytes(48).toString('base64url'),
    // bcrypt's cost changes nothing an injection test looks at, and at 10+ the login scans spend
    // their time budget hashing.
    BCRYPT_COST: '4',
    COOKIE_SECURE: 'true',
    SMTP_URL: smtp.url,
    MAIL_RETRY_BASE_MS: '200',
    // Production refuses the local media driver; no scanned route touches the store, so an
    // address nothing listens on is enough.
    MEDIA_DRIVER: 's3',
    S3_ENDPOINT: 'http://127.0.0.1:9',
    S3_BUCKET: 'scan',
    S3_ACCESS_KEY_ID: 'scan',
    S3_SECRET_ACCESS_KEY: randomBytes(24).toString('base64url'),
    S3_FORCE_PATH_STYLE: 'true',
    DOCS_ENABLED: 'false',
  };
}

async function seed(
  url: string,
  smtp: TestSmtpServer,
): Promise<{ alice: BearerSession; bob: BearerSession; conversationId: string; seq: number }> {
  const readOtp = smtpOtpReader(smtp);
  const alice = await signUpBearer(url, readOtp);
  const bob = await signUpBearer(url, readOtp);
  const auth = `Bearer ${alice.accessToken}`;
  const opened = await request(url)
    .post('/api/v1/conversations')
    .set('Authorization', auth)
    .send({ type: 'direct', userId: bob.userId });
  if (opened.status !== 201) {
    throw new Error(`conversation: ${opened.status} ${JSON.stringify(opened.body)}`);
  }
  const conversationId = (opened.body as { data: { id: string } }).data.id;
  let seq = 0;
  for (let i = 1; i <= 5; i++) {
    const sent = await request(url)
      .post(`/api/v1/conversations/${conversationId}/messages`)
      .set('Authorization', auth)
      .send({ clientMessageId: `seed-${i}`, body: `hello ${i}` });
    if (sent.status !== 201) {
      throw new Error(`message: ${sent.status} ${JSON.stringify(sent.body)}`);
    }
    seq = (sent.body as { data: { seq: number } }).data.seq;
  }
  return { alice, bob, conversationId, seq };
}

async function main(): Promise<void> {
  const out = process.argv[2];
  if (!out) throw new Error('usage: scan-target.ts <out.json>');
  const stamp = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const adminUrl =
    process.env.SCAN_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const databaseName = `baatcheet_scan_${stamp}`;
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${databaseName}`;
  const infra: Infra = {
    adminUrl,
    databaseName,
    databaseUrl: databaseUrl.toString(),
    redisUrl: process.env.SCAN_REDIS_URL ?? 'redis://127.0.0.1:6379',
    keyPrefix: `scan:${stamp}:`,
  };

  let server: Started | undefined;
  let smtp: TestSmtpServer | undefined;
  let created = false;
  let stopping: Promise<void> | undefined;
  const stop = (code: number): Promise<void> =>
    (stopping ??= (async () => {
      if (server) await stopProcess(server, 15_000);
      await smtp?.stop();
      if (created) await cleanup(infra);
      log(`stopped; database ${databaseName} dropped, Redis keys ${infra.keyPrefix}* deleted`);
      process.exit(code);
    })());
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));

  try {
    ensureBuild(log, BUILD_DIR);
    await admin(adminUrl, `create database "${databaseName}"`);
    created = true;
    smtp = await startSmtpServer();
    mkdirSync(WORK_DIR, { recursive: true });
    const port = await freePort();
    // cwd outside the repository root, so a developer's .env does not leak into the server.
    server = startProcess(
      'server',
      [path.join(BUILD_DIR, 'main.js')],
      serverEnv(infra, port, smtp),
      WORK_DIR,
    );
    const url = `http://127.0.0.1:${port}`;
    await waitHttpOk(server, `${url}/health/ready`, 120_000);
    log(`server ready on ${url} (NODE_ENV=production, database ${databaseName})`);
    const { alice, bob, conversationId, seq } = await seed(url, smtp);
    const cookieLogin = await request(url)
      .post('/api/v1/auth/login')
      .set('Origin', SCAN_ALLOWED_ORIGIN)
      .send({ email: alice.credentials.email, password: alice.credentials.password });
    if (cookieLogin.status !== 200) {
      throw new Error(`cookie login: ${cookieLogin.status} ${JSON.stringify(cookieLogin.body)}`);
    }
    const setCookie = cookieLogin.headers['set-cookie'] as unknown as string[] | undefined;
    const target = {
      url,
      port,
      pid: server.child.pid,
      allowedOrigin: SCAN_ALLOWED_ORIGIN,
      database: databaseName,
      accessToken: alice.accessToken,
      refreshToken: alice.refreshToken,
      email: alice.credentials.email,
      password: alice.credentials.password,
      username: alice.credentials.username,
      bobUsername: bob.credentials.username,
      conversationId,
      lastSeq: seq,
      setCookie: setCookie ?? [],
      cookies: cookiesFrom(cookieLogin),
    };
    writeFileSync(`${out}.tmp`, JSON.stringify(target, null, 2));
    cpSync(`${out}.tmp`, out);
    rmSync(`${out}.tmp`);
    log(`fixture written to ${out}; waiting for SIGTERM`);
    server.child.once('exit', (code, signal) => {
      if (stopping) return;
      log(`the server exited on its own (code ${code}, signal ${signal}):\n${server?.tail()}`);
      void stop(3);
    });
  } catch (error) {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (server) log(`server output:\n${server.tail()}`);
    await stop(1);
  }
}

void main();
