import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import {
  Inject,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { MailJob, QueueName } from '../../infra/queue/queue.constants';
import { RedisService } from '../../infra/redis/redis.service';
import { MailCrypto, MailPayloadError } from './mail.crypto';
import { MailSender } from './mail.sender';
import { isMailJob, type MailJobData, type MailPayload } from './mail.types';
import { MailTemplates } from './templates/mail.templates';

export const MAIL_WORKER_CONCURRENCY = 5;

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms).unref());
/** How long a sent marker outlives the send: longer than every retry and stalled-job recovery. */
export const MAIL_SENT_TTL_SECONDS = 86_400;

/** `mail:sent:<jobId>` under the app's key prefix: the job's mail has left this system. */
export function mailSentKey(jobId: string): string {
  return `mail:sent:${jobId}`;
}

export type MailJobResult = { status: 'sent'; messageId: string } | { status: 'already-sent' };

type MailJobRef = Job<MailJobData, MailJobResult, string>;

/**
 * Thin and idempotent (BullMQ runs a job at least once): decrypt, render, send, then record the
 * send so a job retried after a crash-after-send is not mailed twice. Never logs the payload.
 */
@Processor(QueueName.Mail, { concurrency: MAIL_WORKER_CONCURRENCY })
export class MailProcessor
  extends WorkerHost
  implements BeforeApplicationShutdown, OnApplicationBootstrap
{
  private readonly logger = new Logger('MailProcessor');
  private lastWorkerError = '';
  /** 40% of the shutdown grace for in-flight sends: the rest is for closing everything else. */
  private readonly drainMs: number;
  /** After the drain budget, how long a forced close may take before the connections are dropped. */
  private readonly forcedCloseMs: number;

  constructor(
    private readonly redis: RedisService,
    private readonly crypto: MailCrypto,
    private readonly templates: MailTemplates,
    private readonly sender: MailSender,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super();
    this.drainMs = Math.floor(config.shutdownGraceMs * 0.4);
    this.forcedCloseMs = Math.floor(config.shutdownGraceMs * 0.15);
  }

  /** Like MailService: started means connected, so a fast start-then-stop can't race BullMQ's init. */
  async onApplicationBootstrap(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  async process(job: MailJobRef): Promise<MailJobResult> {
    const jobId = job.id;
    if (!jobId || !isMailJob(job.name)) {
      throw new UnrecoverableError(`not a mail job: "${job.name}"`);
    }
    const sentKey = mailSentKey(jobId);
    if ((await this.redis.client.exists(sentKey)) === 1) {
      this.logger.log(`${job.name} mail ${jobId} was already sent; not sending it again`);
      return { status: 'already-sent' };
    }
    const mail = this.templates.render(this.open(job.name, job.data));
    let messageId: string;
    try {
      ({ messageId } = await this.sender.send(mail, jobId));
    } catch (error) {
      throw toJobError(error);
    }
    await this.markSent(sentKey, jobId);
    this.logger.log(
      `sent ${job.name} mail ${jobId} to @${job.data.recipientDomain} (attempt ${job.attemptsMade + 1})`,
    );
    return { status: 'sent', messageId };
  }

  @OnWorkerEvent('failed')
  onFailed(job: MailJobRef | undefined, error: Error): void {
    if (!job) return;
    const attempts = job.opts.attempts ?? 1;
    const final = job.attemptsMade >= attempts || error instanceof UnrecoverableError;
    this.logger.warn(
      `${job.name} mail ${job.id} to @${job.data?.recipientDomain ?? '?'} failed (attempt ${job.attemptsMade}/${attempts}${final ? ', giving up; kept in the failed set' : ', will retry'}): ${error.message}`,
    );
  }

  @OnWorkerEvent('error')
  onWorkerError(error: Error): void {
    // BullMQ repeats the same connection error on every retry; say it once.
    if (error.message === this.lastWorkerError) return;
    this.lastWorkerError = error.message;
    this.logger.warn(`mail worker: ${error.message}`);
  }

  /**
   * Let the jobs in hand finish before the transport closes. A send still hanging after the drain
   * budget is aborted by closing the transport: its job fails this attempt and is retried later
   * (by this or another worker), so the process still exits within SHUTDOWN_GRACE_MS.
   */
  async beforeApplicationShutdown(): Promise<void> {
    // Even asking for the client can wait on a lost connection, hence the short race.
    const client = await Promise.race([
      this.worker.client.catch(() => undefined),
      sleep(200).then(() => undefined),
    ]);
    if (client?.status !== 'ready') {
      // Redis is away: no job can be acknowledged, and a graceful close (which BullMQ then hands
      // to every later close() call) would wait for it forever. Drop the connections and force.
      this.logger.warn('Redis is unreachable: closing the mail worker without draining');
      this.worker.disconnect().catch(() => undefined);
      await Promise.race([
        this.worker.close(true).catch(() => undefined),
        sleep(this.forcedCloseMs),
      ]);
      return;
    }
    const closing = this.worker.close().then(
      () => true,
      (error: unknown) => {
        this.logger.warn(`closing the mail worker: ${describe(error)}`);
        return true;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.drainMs);
    });
    const drained = await Promise.race([closing, budget]);
    clearTimeout(timer);
    if (!drained) {
      this.logger.warn(
        `mail sends still running after ${this.drainMs} ms of shutdown; aborting them (they will be retried)`,
      );
      this.sender.abort();
      // With Redis away, a graceful close waits forever on a QUIT that can't be sent: force it,
      // and drop the connections outright if even that does not settle soon.
      const forced = this.worker.close(true).then(
        () => true,
        () => true,
      );
      const settled = await Promise.race([
        closing,
        forced,
        sleep(this.forcedCloseMs).then(() => false),
      ]);
      if (!settled) {
        this.logger.warn('the mail worker did not close; dropping its Redis connections');
        // Not awaited: BullMQ's disconnect itself waits for an 'end' the lost socket may never send.
        this.worker.disconnect().catch(() => undefined);
      }
    }
  }

  private open(name: MailJob, data: MailJobData): MailPayload {
    try {
      return { job: name, data: this.crypto.open(name, data) } as MailPayload;
    } catch (error) {
      // Retrying cannot help: the data is damaged or OTP_SECRET changed since it was queued.
      if (error instanceof MailPayloadError || error instanceof SyntaxError) {
        throw new UnrecoverableError(error.message);
      }
      throw error;
    }
  }

  private async markSent(key: string, jobId: string): Promise<void> {
    try {
      await this.redis.client.set(key, new Date().toISOString(), 'EX', MAIL_SENT_TTL_SECONDS);
    } catch (error) {
      // The mail is out; failing the job now would only send it again.
      this.logger.warn(
        `mail ${jobId} was sent but its sent marker was not recorded: ${describe(error)}`,
      );
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface SmtpError {
  code?: string;
  responseCode?: number;
  response?: string;
}

/** Hides the local part of any address an SMTP reply echoes (failed reasons are kept in Redis). */
function redactAddresses(text: string): string {
  return text.replace(/[^\s<>"'@:,;]+@(?=[^\s<>"'@]+)/g, '***@');
}

/**
 * An SMTP 5xx reply is permanent (bad recipient, message refused): retrying cannot help, so the
 * job fails at once and stays in the failed set. Everything else (connection refused, timeouts,
 * 4xx, authentication) is retried with backoff.
 */
export function toJobError(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(`mail send failed: ${String(error)}`);
  const { code, responseCode, response } = error as Error & SmtpError;
  const detail = redactAddresses(response ?? error.message);
  const message = `mail send failed${code ? ` (${code}${responseCode ? ` ${responseCode}` : ''})` : ''}: ${detail}`;
  const permanent =
    typeof responseCode === 'number' &&
    responseCode >= 500 &&
    responseCode < 600 &&
    code !== 'EAUTH';
  return permanent ? new UnrecoverableError(message) : new Error(message);
}
