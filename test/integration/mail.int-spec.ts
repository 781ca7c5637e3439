import { randomInt } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { getQueueToken } from '@nestjs/bullmq';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Job } from 'bullmq';
import type Redis from 'ioredis';
import { simpleParser } from 'mailparser';
import { Logger as PinoLogger } from 'nestjs-pino';
import type { AppConfig } from '../../src/config/app-config';
import { loadConfig } from '../../src/config/load-config';
import { CoreModule } from '../../src/core.module';
import { QueueName } from '../../src/infra/queue/queue.constants';
import { MailModule } from '../../src/modules/mail/mail.module';
import { mailSentKey, type MailJobResult } from '../../src/modules/mail/mail.processor';
import { MailService, type MailQueue } from '../../src/modules/mail/mail.service';
import { LogCapture, testEnv } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { deleteKeysUnder, keysUnder, rawRedis, uniqueRedisPrefix } from '../support/redis';
import {
  extractOtp,
  recipientsOf,
  sentTo,
  startSmtpServer,
  type TestSmtpServer,
} from '../support/smtp';

interface MailHarness {
  config: AppConfig;
  mail: MailService;
  queue: MailQueue;
  logs: LogCapture;
  /** Closes the app; deletes its Redis keys unless told to keep them for a successor. */
  close(options?: { keepKeys?: boolean }): Promise<void>;
}

/**
 * One capture for the whole file: nestjs-pino keeps the first pino instance a process creates for
 * every later module, so each harness would otherwise write into the first one's destination.
 */
const logs = new LogCapture();

/**
 * CoreModule (real Redis, PostgreSQL, BullMQ) + the mail module wired as the API process has it:
 * a producer-only registration (what AuthModule imports) beside the one with the worker.
 */
async function startMailHarness(
  database: TestDatabase,
  env: Record<string, string | undefined>,
): Promise<MailHarness> {
  const config = loadConfig(
    testEnv({ DATABASE_URL: database.url, LOG_LEVEL: 'debug', MAIL_RETRY_BASE_MS: '200', ...env }),
  );
  const module: TestingModule = await Test.createTestingModule({
    imports: [
      CoreModule.forRoot(config, { logDestination: logs }),
      MailModule.register({ processors: false }),
      MailModule.register({ processors: true }),
    ],
  }).compile();
  module.useLogger(module.get(PinoLogger));
  await module.init();
  let closed = false;
  return {
    config,
    mail: module.get(MailService),
    queue: module.get<MailQueue>(getQueueToken(QueueName.Mail)),
    logs,
    close: async ({ keepKeys = false } = {}) => {
      if (closed) return;
      closed = true;
      try {
        await module.close();
      } finally {
        if (!keepKeys) await deleteAllUnder(config.redis.keyPrefix);
      }
    },
  };
}

async function deleteAllUnder(prefix: string): Promise<void> {
  const redis = rawRedis();
  try {
    await deleteKeysUnder(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/** Polls `check` until it returns a value (not undefined/false) or the deadline passes. */
async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function jobInState(
  queue: MailQueue,
  jobId: string,
  state: 'completed' | 'failed',
  timeoutMs = 10_000,
): Promise<Job> {
  return until(
    `job ${jobId} to be ${state}`,
    async () => {
      // State first: a job read before it finishes would carry its old fields.
      if ((await queue.getJobState(jobId)) !== state) return undefined;
      return queue.getJob(jobId);
    },
    timeoutMs,
  );
}

/** Every value stored under `prefix`, whatever its Redis type, as one string per key. */
async function dumpKeys(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const dump = new Map<string, string>();
  for (const key of await keysUnder(redis, prefix)) {
    const type = await redis.type(key);
    let value: unknown;
    if (type === 'string') value = await redis.get(key);
    else if (type === 'hash') value = await redis.hgetall(key);
    else if (type === 'list') value = await redis.lrange(key, 0, -1);
    else if (type === 'set') value = await redis.smembers(key);
    else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'stream') value = await redis.xrange(key, '-', '+');
    else value = `<${type}>`;
    dump.set(key, `${key} ${JSON.stringify(value)}`);
  }
  return dump;
}

const usedOtps = new Set<string>();
/** A fresh code no earlier test used, so every assertion is about this test's mail. */
function freshOtp(): string {
  for (;;) {
    const otp = randomInt(0, 1_000_000).toString().padStart(6, '0');
    if (!usedOtps.has(otp)) {
      usedOtps.add(otp);
      return otp;
    }
  }
}

/** The code as a token of its own (not inside a longer number such as a timestamp). */
const standalone = (digits: string): RegExp => new RegExp(`(?<!\\d)${digits}(?!\\d)`);

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

describe('mail over SMTP (real Redis, BullMQ and SMTP server)', () => {
  let smtp: TestSmtpServer;
  let h: MailHarness;
  let redis: Redis;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    h = await startMailHarness(database, { SMTP_URL: smtp.url });
    redis = rawRedis();
  });

  afterAll(async () => {
    redis?.disconnect();
    await h?.close();
    await smtp?.stop();
  });

  afterEach(() => {
    smtp.setDelay(0);
    smtp.setRejectAll(false);
  });

  const count = (to: string): number => smtp.messages.filter(sentTo(to)).length;

  it('delivers the registration OTP in the text and HTML parts, with subject and recipient', async () => {
    const otp = freshOtp();
    const to = 'canary-local@example.test';
    const jobId = await h.mail.sendRegistrationOtp({
      to,
      username: 'canary_username',
      otp,
      expiresInSeconds: 300,
    });

    const mail = await smtp.waitForMessage(sentTo(to));
    expect(recipientsOf(mail)).toEqual([to]);
    expect(mail.from?.value).toEqual([{ name: 'Baat Cheet', address: 'no-reply@localhost' }]);
    expect(mail.subject).toBe('Verify your email for Baat Cheet');
    expect(extractOtp(mail)).toBe(otp);
    expect(mail.text).toMatch(standalone(otp));
    expect(mail.html).toEqual(expect.stringMatching(standalone(otp)));
    expect(mail.text).toContain('Hi canary_username,');
    expect(mail.text).toContain('expires in 5 minutes');

    const job = await jobInState(h.queue, jobId, 'completed');
    expect(job.returnvalue).toEqual({ status: 'sent', messageId: expect.any(String) });
    expect(job.opts).toMatchObject({
      attempts: 5,
      backoff: { type: 'exponential', delay: 200, jitter: 0.5 },
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 604800 },
    });
    const marker = `${h.config.redis.keyPrefix}${mailSentKey(jobId)}`;
    expect(await redis.exists(marker)).toBe(1);
    const ttl = await redis.ttl(marker);
    expect(ttl).toBeGreaterThan(86_000);
    expect(ttl).toBeLessThanOrEqual(86_400);
  });

  it('renders the password-reset OTP and the password-changed notice', async () => {
    const otp = freshOtp();
    const to = 'reset@example.test';
    await h.mail.sendPasswordResetOtp({ to, otp, expiresInSeconds: 600 });
    const reset = await smtp.waitForMessage(sentTo(to));
    expect(reset.subject).toBe('Reset your Baat Cheet password');
    expect(extractOtp(reset)).toBe(otp);
    expect(reset.html).toEqual(expect.stringMatching(standalone(otp)));
    expect(reset.text).toContain('expires in 10 minutes');

    const changedTo = 'changed@example.test';
    await h.mail.sendPasswordChanged({ to: changedTo, username: 'changer' });
    const changed = await smtp.waitForMessage(sentTo(changedTo));
    expect(changed.subject).toBe('Your Baat Cheet password was changed');
    expect(changed.text).toContain('Hi changer,');
    expect(changed.text).not.toMatch(/(?<!\d)\d{6}(?!\d)/);
    expect(changed.html).toEqual(expect.stringContaining('was just changed'));
  });

  it('answers the enqueue fast while the SMTP server takes 2 s per message', async () => {
    smtp.setDelay(2_000);
    const to = 'slow@example.test';
    const otp = freshOtp();

    const started = performance.now();
    await h.mail.sendRegistrationOtp({ to, username: 'slowpoke', otp, expiresInSeconds: 300 });
    const enqueueMs = performance.now() - started;
    const mail = await smtp.waitForMessage(sentTo(to), 15_000);
    const deliveredMs = performance.now() - started;

    expect(extractOtp(mail)).toBe(otp);
    expect(enqueueMs).toBeLessThan(300);
    expect(deliveredMs).toBeGreaterThanOrEqual(2_000);
    console.info(
      `enqueue ${enqueueMs.toFixed(1)} ms, delivery ${deliveredMs.toFixed(0)} ms (SMTP delay 2000 ms)`,
    );
  });

  it('retries while SMTP is down and delivers exactly once when it is back on the same port', async () => {
    const port = smtp.port;
    await smtp.stop();
    const to = 'outage@example.test';
    const otp = freshOtp();
    let jobId: string;
    try {
      jobId = await h.mail.sendPasswordResetOtp({ to, otp, expiresInSeconds: 300 });
      const failing = await until('two failed attempts', async () => {
        const job = await h.queue.getJob(jobId);
        return job && job.attemptsMade >= 2 ? job : undefined;
      });
      expect(failing.failedReason).toMatch(/ECONNECTION|ECONNREFUSED/);
      expect(count(to)).toBe(0);
    } finally {
      await smtp.restart();
    }
    expect(smtp.port).toBe(port);

    const mail = await smtp.waitForMessage(sentTo(to), 15_000);
    expect(extractOtp(mail)).toBe(otp);
    const job = await jobInState(h.queue, jobId, 'completed');
    expect(job.attemptsMade).toBeGreaterThanOrEqual(3);
    expect(count(to)).toBe(1);
  });

  it('delivers the same mail once when it is enqueued twice, and a new OTP as a new mail', async () => {
    const to = 'twice@example.test';
    const first = freshOtp();
    const input = { to, username: 'twice', otp: first, expiresInSeconds: 300 };
    const [a, b] = await Promise.all([
      h.mail.sendRegistrationOtp(input),
      h.mail.sendRegistrationOtp({ ...input }),
    ]);
    expect(b).toBe(a);
    await jobInState(h.queue, a, 'completed');
    // Enqueued again after it was sent: still the same, already finished job.
    expect(await h.mail.sendRegistrationOtp(input)).toBe(a);

    const second = freshOtp();
    const c = await h.mail.sendRegistrationOtp({ ...input, otp: second });
    expect(c).not.toBe(a);
    await jobInState(h.queue, c, 'completed');

    expect(smtp.messages.filter(sentTo(to)).map(extractOtp)).toEqual([first, second]);
  });

  it('does not send again when a job that already sent runs a second time', async () => {
    const to = 'rerun@example.test';
    const jobId = await h.mail.sendPasswordChanged({ to, username: 'rerun' });
    await smtp.waitForMessage(sentTo(to));
    const job = await jobInState(h.queue, jobId, 'completed');

    // As if the worker died after the SMTP send and BullMQ ran the job again.
    await job.retry('completed');
    const rerun = await until('the rerun to finish', async () => {
      const current = await h.queue.getJob(jobId);
      const result = current?.returnvalue as MailJobResult | undefined;
      return result?.status === 'already-sent' ? current : undefined;
    });
    expect(await rerun?.getState()).toBe('completed');
    expect(count(to)).toBe(1);
  });

  it('fails a permanently refused mail at once and keeps it for inspection', async () => {
    smtp.setRejectAll(true);
    const to = 'refused-local@example.test';
    const jobId = await h.mail.sendPasswordResetOtp({ to, otp: freshOtp(), expiresInSeconds: 300 });
    const job = await jobInState(h.queue, jobId, 'failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toContain('550');
    expect(job.failedReason).not.toContain('refused-local');
    const failed = await h.queue.getFailed();
    expect(failed.map((entry) => entry.id)).toContain(jobId);
    expect(count(to)).toBe(0);
  });

  it('leaves no OTP, name or address in Redis and never logs an OTP', async () => {
    expect(usedOtps.size).toBeGreaterThanOrEqual(6);
    const dump = await dumpKeys(redis, h.config.redis.keyPrefix);
    expect([...dump.keys()].some((key) => key.includes(':bull:mail:'))).toBe(true);
    expect([...dump.keys()].some((key) => key.includes(':mail:sent:'))).toBe(true);
    const everything = [...dump.values()].join('\n');
    expect(everything).toMatch(/recipientDomain[\\"]+:[\\"]+example\.test/);
    for (const otp of usedOtps) {
      const leak = [...dump.values()].find((entry) => standalone(otp).test(entry));
      expect(leak).toBeUndefined();
    }
    expect(everything).not.toContain('canary_username');
    expect(everything).not.toContain('canary-local');

    const logs = h.logs.text();
    expect(logs).toContain('sent registration-otp mail');
    for (const otp of usedOtps) expect(logs).not.toMatch(standalone(otp));
    expect(logs).not.toContain('canary_username');
    expect(logs).not.toContain('canary-local');
  });
});

describe('mail without SMTP_URL (development folder)', () => {
  let dir: string;
  let h: MailHarness;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'baatcheet-mail-'));
    h = await startMailHarness(database, { SMTP_URL: '', MAIL_DEV_DIR: join(dir, 'outbox') });
  });

  afterAll(async () => {
    await h?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes each mail as a readable .eml file and says where, once', async () => {
    const outbox = join(dir, 'outbox');
    expect(h.logs.text()).toContain(`mails are written as .eml files to ${outbox}`);
    const otp = freshOtp();
    const jobId = await h.mail.sendRegistrationOtp({
      to: 'dev@example.test',
      username: 'developer',
      otp,
      expiresInSeconds: 300,
    });
    await jobInState(h.queue, jobId, 'completed');
    const files = (await readdir(outbox)).filter((name) => name.endsWith('.eml'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{4}-\d{2}-\d{2}T[\d-]+Z-registration-otp\.[\w-]+\.eml$/);
    expect(files[0]).toContain(jobId);

    const mail = await simpleParser(await readFile(join(outbox, files[0])));
    expect(recipientsOf(mail)).toEqual(['dev@example.test']);
    expect(mail.subject).toBe('Verify your email for Baat Cheet');
    expect(extractOtp(mail)).toBe(otp);
    expect(mail.html).toEqual(expect.stringMatching(standalone(otp)));
    expect(h.logs.text()).not.toMatch(standalone(otp));
  });
});

describe('shutdown while a send hangs', () => {
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    smtp = await startSmtpServer({ delayMs: 30_000 });
  });

  afterAll(async () => {
    await smtp?.stop();
  });

  it('aborts the send within the grace period; the job is retried and delivered once', async () => {
    const env = {
      SMTP_URL: smtp.url,
      REDIS_KEY_PREFIX: uniqueRedisPrefix(),
      SHUTDOWN_GRACE_MS: '1000',
    };
    const first = await startMailHarness(database, env);
    let second: MailHarness | undefined;
    try {
      const to = 'shutdown@example.test';
      const otp = freshOtp();
      const jobId = await first.mail.sendRegistrationOtp({
        to,
        username: 'shutdown',
        otp,
        expiresInSeconds: 300,
      });
      await until(
        'the send to be in flight',
        async () => (await first.queue.getJobState(jobId)) === 'active',
      );

      const started = performance.now();
      await first.close({ keepKeys: true });
      const closeMs = performance.now() - started;
      expect(closeMs).toBeLessThan(1_000);
      expect(await rawJobState(env.REDIS_KEY_PREFIX, jobId)).not.toBe('completed');

      smtp.setDelay(0);
      second = await startMailHarness(database, env);
      const mail = await smtp.waitForMessage(sentTo(to), 15_000);
      expect(extractOtp(mail)).toBe(otp);
      const job = await jobInState(second.queue, jobId, 'completed');
      expect(job.attemptsMade).toBe(2);
      expect(smtp.messages.filter(sentTo(to))).toHaveLength(1);
      console.info(`shutdown with a hanging send took ${closeMs.toFixed(0)} ms (grace 1000 ms)`);
    } finally {
      await first.close();
      await second?.close();
    }
  });
});

/** A job's state read straight from Redis (the app that queued it is closed). */
async function rawJobState(prefix: string, jobId: string): Promise<string> {
  const redis = rawRedis();
  try {
    const base = `${prefix}bull:${QueueName.Mail}`;
    for (const state of ['completed', 'failed', 'delayed'] as const) {
      if ((await redis.zscore(`${base}:${state}`, jobId)) !== null) return state;
    }
    for (const state of ['wait', 'active'] as const) {
      if ((await redis.lpos(`${base}:${state}`, jobId)) !== null) return state;
    }
    return 'unknown';
  } finally {
    redis.disconnect();
  }
}
