import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { testEnv } from './app';
import { createTestDatabase, type TestDatabase } from './database';
import { startNginx, type Nginx } from './nginx';
import { freePort } from './ports';
import { startPostgresServer, type PostgresServer } from './postgres-server';
import { spawnEntry, type AppProcess, type ExitResult } from './process';
import { uniqueRedisPrefix } from './redis';
import { startRedisServer, type RedisServer } from './redis-server';
import { startSmtpServer, type TestSmtpServer } from './smtp';
import type { Chatter } from './chatter';
import { waitFor } from './wait';

/** One API replica process on a fixed port that a fault test may kill and start again. */
export interface ChaosReplica {
  readonly index: number;
  readonly port: number;
  /** http://127.0.0.1:<port> (bypassing nginx) */
  readonly url: string;
  /** The running process (undefined after it exited). */
  readonly process: AppProcess | undefined;
  /** Every exit so far (a crash shows up here even if the test did not signal it). */
  readonly exits: ExitResult[];
  /** Starts it again on the same port; resolves once GET /health/ready answers 200. */
  start(): Promise<void>;
  /** Sends `signal` and waits for the exit. */
  signal(signal: NodeJS.Signals, timeoutMs?: number): Promise<ExitResult>;
}

/**
 * The whole system with every dependency its own, so a test can break any of them without hurting
 * other test files: a private PostgreSQL cluster, a private Redis (append-only, so a restart keeps
 * sessions and queues), an in-process SMTP server, two API replicas as child processes (replica 0
 * runs the queue workers) and a real nginx in front of them.
 */
export interface ChaosCluster {
  readonly postgres: PostgresServer;
  readonly redis: RedisServer;
  readonly smtp: TestSmtpServer;
  readonly database: TestDatabase;
  readonly keyPrefix: string;
  readonly replicas: ChaosReplica[];
  readonly nginx: Nginx;
  /** nginx's URL: what every client uses. */
  readonly url: string;
  /** A pool on the app's database (for checks against the stored truth); survives restarts. */
  readonly sql: Pool;
  /** A fresh plain client on the private Redis (the caller disconnects it). */
  redisClient(): Redis;
  /** Replicas that exited without the test asking for it. */
  unexpectedExits(): string[];
  close(): Promise<void>;
}

export interface ChaosClusterOptions {
  /** Variables for every replica on top of the defaults below. */
  env?: Record<string, string | undefined>;
  replicas?: number;
}

/**
 * Starts everything. Points TEST_DATABASE_URL and TEST_REDIS_URL of this test file's process at the
 * private servers (createTestDatabase, testEnv and rawRedis read them), and puts them back in close().
 */
export async function startChaosCluster(options: ChaosClusterOptions = {}): Promise<ChaosCluster> {
  const saved = {
    TEST_DATABASE_URL: process.env.TEST_DATABASE_URL,
    TEST_REDIS_URL: process.env.TEST_REDIS_URL,
  };
  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
    process.env.TEST_DATABASE_URL = saved.TEST_DATABASE_URL;
    process.env.TEST_REDIS_URL = saved.TEST_REDIS_URL;
  };
  try {
    const [postgres, smtp] = await Promise.all([startPostgresServer(), startSmtpServer()]);
    cleanups.push(
      () => postgres.destroy(),
      () => smtp.stop(),
    );
    const redisDir = mkdtempSync(path.join(tmpdir(), 'baatcheet-chaos-redis-'));
    cleanups.push(() => Promise.resolve(rmSync(redisDir, { recursive: true, force: true })));
    const redis = await startRedisServer({ appendOnlyDir: redisDir });
    cleanups.push(() => redis.kill());
    process.env.TEST_DATABASE_URL = postgres.url;
    process.env.TEST_REDIS_URL = redis.url;

    const database = await createTestDatabase();
    const sql = new Pool({ connectionString: database.url, max: 4 });
    sql.on('error', () => undefined); // idle clients die with a PostgreSQL restart
    cleanups.push(() => sql.end());
    const keyPrefix = uniqueRedisPrefix();

    const unexpected: string[] = [];
    const replicas: (ChaosReplica & { expectExit: boolean })[] = [];
    const count = options.replicas ?? 2;
    for (let index = 0; index < count; index += 1) {
      const port = await freePort();
      const env = testEnv({
        PORT: String(port),
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: keyPrefix,
        DATABASE_MIGRATE_ON_START: 'false',
        WORKERS: index === 0 ? 'on' : 'off',
        TRUST_PROXY: '1',
        LOG_LEVEL: 'warn',
        SMTP_URL: smtp.url,
        SHUTDOWN_GRACE_MS: '8000',
        ...options.env,
      });
      replicas.push(restartableReplica(index, port, env, unexpected));
    }
    cleanups.push(async () => {
      await Promise.allSettled(
        replicas.map((replica) => replica.process?.dispose() ?? Promise.resolve()),
      );
    });
    await Promise.all(replicas.map((replica) => replica.start()));
    const nginx = await startNginx(replicas.map((replica) => replica.port));
    cleanups.push(() => nginx.stop());

    return {
      postgres,
      redis,
      smtp,
      database,
      keyPrefix,
      replicas,
      nginx,
      url: nginx.url,
      sql,
      redisClient: () => new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: false }),
      unexpectedExits: () => [...unexpected],
      close: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

function restartableReplica(
  index: number,
  port: number,
  env: NodeJS.ProcessEnv,
  unexpected: string[],
): ChaosReplica & { expectExit: boolean } {
  const url = `http://127.0.0.1:${port}`;
  const replica = {
    index,
    port,
    url,
    process: undefined as AppProcess | undefined,
    exits: [] as ExitResult[],
    expectExit: false,
    async start(): Promise<void> {
      if (replica.process) throw new Error(`replica ${index} is running`);
      const child = spawnEntry('src/main.ts', { env });
      replica.process = child;
      replica.expectExit = false;
      const died = new Promise<never>((_, reject) =>
        child.child.once('exit', (code, signal) => {
          const result = { code, signal };
          replica.exits.push(result);
          if (replica.process === child) replica.process = undefined;
          if (!replica.expectExit) {
            unexpected.push(
              `replica ${index} exited (${signal ?? code}): ${child.stderr().slice(-1500)}`,
            );
          }
          void child.dispose();
          reject(new Error(`replica ${index} exited (${signal ?? code}) while starting`));
        }),
      );
      died.catch(() => undefined);
      await Promise.race([
        waitFor(
          `replica ${index} (${url}) to answer GET /health/ready with 200`,
          async () => (await fetch(`${url}/health/ready`)).status === 200,
          { timeoutMs: 150_000, intervalMs: 200 },
        ),
        died,
      ]);
    },
    async signal(signal: NodeJS.Signals, timeoutMs = 20_000): Promise<ExitResult> {
      const child = replica.process;
      if (!child) throw new Error(`replica ${index} is not running`);
      replica.expectExit = true;
      child.child.kill(signal);
      return child.waitForExit(timeoutMs);
    },
  };
  return replica;
}

/** A request outcome seen by a `Prober`. */
export interface Probe {
  at: number;
  status: number;
  code?: string;
  /** The first `details` entry of an error envelope (`database: unreachable`). */
  detail?: string;
}

/**
 * Sends `GET path` as one bearer token every `intervalMs` until stopped and keeps every answer: what
 * a client saw while a dependency was away. A network failure is recorded as status 0.
 */
export class Prober {
  readonly seen: Probe[] = [];
  private running = false;
  private loop?: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    this.running = true;
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.loop = undefined;
  }

  between(from: number, to: number): Probe[] {
    return this.seen.filter((probe) => probe.at >= from && probe.at <= to);
  }

  private async run(): Promise<void> {
    while (this.running) {
      const at = Date.now();
      try {
        const res = await fetch(this.url, {
          headers: { Authorization: `Bearer ${this.token}` },
          signal: AbortSignal.timeout(10_000),
        });
        const body = (await res.json().catch(() => ({}))) as {
          error?: { code?: string; details?: { field: string; message: string }[] };
        };
        const first = body.error?.details?.[0];
        this.seen.push({
          at,
          status: res.status,
          code: body.error?.code,
          detail: first ? `${first.field}: ${first.message}` : undefined,
        });
      } catch {
        this.seen.push({ at, status: 0 });
      }
      await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
    }
  }
}

/** `{ 200: 12, 503: 4 }` for a list of probes. */
export function statusCounts(probes: readonly Probe[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const probe of probes) {
    const key = probe.code ? `${probe.status} ${probe.code}` : String(probe.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Every message of a conversation as PostgreSQL holds it, in seq order. */
export async function storedMessages(
  sql: Pool,
  conversationId: string,
): Promise<{ id: string; seq: number; senderId: string; clientMessageId: string }[]> {
  const { rows } = await sql.query<{
    id: string;
    seq: string | number;
    sender_id: string;
    client_message_id: string;
  }>(
    'select id, seq, sender_id, client_message_id from messages where conversation_id = $1 order by seq',
    [conversationId],
  );
  return rows.map((row) => ({
    id: row.id,
    seq: Number(row.seq),
    senderId: row.sender_id,
    clientMessageId: row.client_message_id,
  }));
}

/** What `verifyChatters` found; every list must be empty. */
export interface DeliveryReport {
  conversations: number;
  stored: number;
  acked: number;
  /** Chatter-held messages that came only by catch-up (not by message:new). */
  fromCatchUp: number;
  problems: string[];
}

/**
 * The end-of-scenario truth check, per conversation and per chatter: PostgreSQL holds seqs 1..N
 * without a gap; exactly the acked messages, each once (none lost, none doubled, none unacked); and
 * every chatter, after a last catch-up through the API, shows exactly those, in seq order, with no
 * message:new delivered twice. Call it after every chatter's `stop()`.
 */
export async function verifyChatters(sql: Pool, chatters: Chatter[]): Promise<DeliveryReport> {
  const problems: string[] = [];
  await Promise.all(
    chatters.map((chatter) =>
      chatter.catchUp().catch((error: unknown) => problems.push(String(error))),
    ),
  );
  const byConversation = new Map<string, Chatter[]>();
  for (const chatter of chatters) {
    byConversation.set(chatter.conversationId, [
      ...(byConversation.get(chatter.conversationId) ?? []),
      chatter,
    ]);
  }
  let stored = 0;
  let acked = 0;
  let fromCatchUp = 0;
  for (const [conversationId, members] of byConversation) {
    const rows = await storedMessages(sql, conversationId);
    stored += rows.length;
    const gaps = rows.filter((row, index) => row.seq !== index + 1);
    if (gaps.length > 0) problems.push(`${conversationId}: seqs not 1..N at ${gaps[0].seq}`);
    const storedKeys = rows.map((row) => `${row.senderId}/${row.clientMessageId}/${row.id}`);
    const ackedKeys = members.flatMap((chatter) =>
      [...chatter.acked.values()].map((m) => `${m.senderId}/${m.clientMessageId}/${m.id}`),
    );
    acked += ackedKeys.length;
    const storedSet = new Set(storedKeys);
    const ackedSet = new Set(ackedKeys);
    if (storedSet.size !== storedKeys.length)
      problems.push(`${conversationId}: a stored duplicate`);
    if (ackedSet.size !== ackedKeys.length) problems.push(`${conversationId}: an ack twice`);
    const lost = ackedKeys.filter((key) => !storedSet.has(key));
    if (lost.length > 0) problems.push(`${conversationId}: acked but not stored ${lost.join(' ')}`);
    const unacked = storedKeys.filter((key) => !ackedSet.has(key));
    if (unacked.length > 0) {
      problems.push(`${conversationId}: stored but never acked ${unacked.join(' ')}`);
    }
    const truth = rows.map((row) => `${row.seq}:${row.id}`).join(',');
    for (const chatter of members) {
      const shown = [...chatter.held.values()]
        .sort((a, b) => a.seq - b.seq)
        .map((m) => `${m.seq}:${m.id}`)
        .join(',');
      if (shown !== truth) problems.push(`${chatter.name}: shows other messages than stored`);
      if (chatter.pending.size > 0)
        problems.push(`${chatter.name}: ${chatter.pending.size} unacked`);
      problems.push(...chatter.conflicts.map((c) => `${chatter.name}: conflict ${c}`));
      problems.push(...chatter.errors.map((e) => `${chatter.name}: ${e}`));
      const doubled = [...chatter.deliveries.values()].filter((count) => count > 1).length;
      if (doubled > 0) problems.push(`${chatter.name}: ${doubled} messages delivered twice`);
      fromCatchUp += rows.filter((row) => !chatter.deliveries.has(row.id)).length;
    }
  }
  return { conversations: byConversation.size, stored, acked, fromCatchUp, problems };
}

/** Resolves once every chatter got a message:new from every other chatter sent after `since`. */
export async function waitForCrossDelivery(
  chatters: Chatter[],
  since: number,
  timeoutMs = 20_000,
): Promise<number> {
  const heardFrom = (chatter: Chatter, other: Chatter): boolean =>
    [...chatter.held.values()].some(
      (m) =>
        m.senderId === other.user.id &&
        chatter.deliveries.has(m.id) &&
        Date.parse(m.createdAt) >= since,
    );
  await waitFor(
    'every chatter to receive live messages from every other chatter',
    () =>
      chatters.every((chatter) =>
        chatters.every(
          (other) =>
            other === chatter ||
            other.conversationId !== chatter.conversationId ||
            heardFrom(chatter, other),
        ),
      ),
    { timeoutMs, intervalMs: 100 },
  );
  return Date.now() - since;
}
