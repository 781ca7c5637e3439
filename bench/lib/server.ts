/**
 * The server under test: a production build of src/ (compiled into .data/bench/dist, so a build
 * here never disturbs ./dist while others work), run as `node main.js` against a throw-away
 * PostgreSQL database and a unique Redis key prefix, and everything to put it back afterwards.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import * as ts from 'typescript';
import { PasswordHasher } from '../../src/modules/auth/credentials/password-hasher';
import { freePort, ROOT, startProcess, stopProcess, waitHttpOk, type Started } from './proc';

export const BUILD_DIR = path.join(ROOT, '.data', 'bench', 'dist');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Compiles src/ (tsconfig.build.json) into `buildDir` when it is older than any file of src/, and
 * copies the migrations next to it as `nest build` does. Returns the directory holding main.js.
 * Also used by scripts/lib/scan-target.ts (the security scan's server).
 */
export function ensureBuild(log: (line: string) => void, buildDir = BUILD_DIR): string {
  const main = path.join(buildDir, 'main.js');
  // Written last: a build interrupted half-way is never taken for a complete one.
  const stamp = path.join(buildDir, '.complete');
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestMtime(path.join(ROOT, 'src'))) {
    log(`build: ${path.relative(ROOT, buildDir)} is up to date`);
    return buildDir;
  }
  log(`build: compiling src/ into ${path.relative(ROOT, buildDir)} (tsc -p tsconfig.build.json)`);
  rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });
  try {
    execFileSync(
      process.execPath,
      [
        path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        buildDir,
      ],
      // stdout to stderr: callers keep stdout for their own results.
      { cwd: ROOT, stdio: ['ignore', 2, 2], timeout: 300_000 },
    );
  } catch (error) {
    // tsc still emits on type errors (src/ may be mid-edit): run what it emitted, with a warning.
    if (!existsSync(main)) throw error;
    log('build: tsc reported errors (above); running the JavaScript it emitted anyway');
  }
  cpSync(
    path.join(ROOT, 'src', 'infra', 'database', 'migrations'),
    path.join(buildDir, 'infra', 'database', 'migrations'),
    { recursive: true },
  );
  writeFileSync(stamp, new Date().toISOString());
  return buildDir;
}

export const BASELINE_DIR = path.join(ROOT, '.data', 'bench', 'baselines');

/**
 * Transpiles bench/baselines/*.ts to plain JavaScript in BASELINE_DIR, so a baseline runs as bare
 * `node file.js` like the server under test (ts-node's compiler would otherwise sit in its heap
 * and skew the memory scenario). Returns the path of `<name>.js`.
 */
export function baselineScript(name: string): string {
  const source = path.join(ROOT, 'bench', 'baselines', `${name}.ts`);
  const target = path.join(BASELINE_DIR, `${name}.js`);
  if (!existsSync(target) || statSync(target).mtimeMs < statSync(source).mtimeMs) {
    const output = ts.transpileModule(readFileSync(source, 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        esModuleInterop: true,
      },
      fileName: source,
    });
    mkdirSync(BASELINE_DIR, { recursive: true });
    writeFileSync(target, output.outputText);
  }
  return target;
}

export interface BenchInfra {
  adminUrl: string;
  databaseName: string;
  databaseUrl: string;
  redisUrl: string;
  redisKeyPrefix: string;
  pepper: string;
  /** Shared by every server start of the run, so a token outlives a restart. */
  jwtSecret: string;
  otpSecret: string;
  bcryptCost: number;
}

export function newInfra(stamp: string, bcryptCost: number): BenchInfra {
  const adminUrl =
    process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const databaseName = `baatcheet_bench_${stamp}`;
  const url = new URL(adminUrl);
  url.pathname = `/${databaseName}`;
  return {
    adminUrl,
    databaseName,
    databaseUrl: url.toString(),
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    redisKeyPrefix: `bench:${stamp}:`,
    pepper: randomBytes(48).toString('base64url'),
    jwtSecret: randomBytes(48).toString('base64url'),
    otpSecret: randomBytes(48).toString('base64url'),
    bcryptCost,
  };
}

async function admin<T>(infra: BenchInfra, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: infra.adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(infra: BenchInfra): Promise<void> {
  await admin(infra, (c) => c.query(`create database "${infra.databaseName}"`));
}

/** Drops the bench database and deletes every Redis key under the bench prefix. */
export async function cleanupInfra(infra: BenchInfra): Promise<void> {
  await admin(infra, (c) =>
    c.query(`drop database if exists "${infra.databaseName}" with (force)`),
  ).catch((error: unknown) =>
    console.error(`could not drop ${infra.databaseName}: ${String(error)}`),
  );
  const redis = new Redis(infra.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        `${infra.redisKeyPrefix}*`,
        'COUNT',
        1000,
      );
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } catch (error) {
    console.error(`could not clean Redis keys ${infra.redisKeyPrefix}*: ${String(error)}`);
  } finally {
    redis.disconnect();
  }
}

export interface AppServer {
  proc: Started;
  url: string;
}

/** Starts `node main.js` of the build with a production environment of its own. */
export async function startAppServer(buildDir: string, infra: BenchInfra): Promise<AppServer> {
  const port = await freePort();
  const workDir = path.join(ROOT, '.data', 'bench', 'run');
  mkdirSync(workDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    WORKERS: 'off',
    DATABASE_URL: infra.databaseUrl,
    DATABASE_MIGRATE_ON_START: 'true',
    REDIS_URL: infra.redisUrl,
    REDIS_KEY_PREFIX: infra.redisKeyPrefix,
    TRUST_PROXY: '1',
    THROTTLE_LIMIT: '1000000000',
    JWT_ACCESS_SECRET: infra.jwtSecret,
    JWT_ACCESS_TTL: '7200',
    OTP_SECRET: infra.otpSecret,
    PASSWORD_PEPPER: infra.pepper,
    BCRYPT_COST: String(infra.bcryptCost),
    COOKIE_SECURE: 'true',
    // Never contacted: no scenario sends mail, but production refuses to start without it.
    SMTP_URL: 'smtp://127.0.0.1:9',
    MAIL_DEV_DIR: path.join(workDir, 'mail'),
    MEDIA_LOCAL_DIR: path.join(workDir, 'media'),
    // Production refuses the local media driver; no scenario uploads, so this store is never contacted.
    MEDIA_DRIVER: 's3',
    S3_ENDPOINT: 'http://127.0.0.1:9',
    S3_BUCKET: 'bench',
    S3_ACCESS_KEY_ID: 'bench',
    S3_SECRET_ACCESS_KEY: infra.otpSecret,
    DOCS_ENABLED: 'false',
  };
  // cwd outside the repository root, so a developer's .env does not leak into the measured server.
  // e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const proc = startProcess('server', [...nodeArgs, path.join(buildDir, 'main.js')], env, workDir);
  const url = `http://127.0.0.1:${port}`;
  await waitHttpOk(proc, `${url}/health/ready`, 90_000);
  return { proc, url };
}

export async function stopAppServer(server: AppServer): Promise<void> {
  await stopProcess(server.proc, 15_000);
}

export interface SeededUser {
  id: string;
  email: string;
  username: string;
}

export const BENCH_PASSWORD = 'correct horse battery staple bench';

/**
 * Inserts `count` users straight into PostgreSQL (the OTP sign-up would cost minutes), all with one
 * hash of BENCH_PASSWORD made by the app's own PasswordHasher at the configured cost and pepper.
 */
export async function seedUsers(
  infra: BenchInfra,
  count: number,
  tag: string,
): Promise<SeededUser[]> {
  const hasher = new PasswordHasher({ pepper: infra.pepper, cost: infra.bcryptCost });
  const hash = await hasher.hash(BENCH_PASSWORD);
  const users: SeededUser[] = Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    email: `bench.${tag}.${i}@example.com`,
    username: `bench_${tag}_${i}`,
  }));
  const client = new Client({ connectionString: infra.databaseUrl });
  await client.connect();
  try {
    for (let i = 0; i < users.length; i += 500) {
      const chunk = users.slice(i, i + 500);
      const values: unknown[] = [];
      const rows = chunk.map((u, j) => {
        values.push(u.id, u.username, u.email, hash);
        return `($${j * 4 + 1}, $${j * 4 + 2}, $${j * 4 + 3}, $${j * 4 + 4})`;
      });
      await client.query(
        `insert into users (id, username, email, password_hash) values ${rows.join(', ')}`,
        values,
      );
    }
  } finally {
    await client.end();
  }
  return users;
}

/** Signs in through the real login route; returns the bearer access token. */
export async function loginToken(url: string, email: string, ip: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-auth-transport': 'bearer',
      'x-forwarded-for': ip,
    },
    body: JSON.stringify({ email, password: BENCH_PASSWORD }),
  });
  const body = (await res.json()) as { data?: { tokens?: { accessToken?: string } } };
  const token = body.data?.tokens?.accessToken;
  if (res.status !== 200 || !token) {
    throw new Error(`login of ${email} failed: ${res.status} ${JSON.stringify(body)}`);
  }
  return token;
}
