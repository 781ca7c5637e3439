import { randomUUID } from 'node:crypto';
import { InjectQueue } from '@nestjs/bullmq';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { JobsOptions, Queue } from 'bullmq';
import { AppException } from '../../common/errors/app.exception';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { MailJob, QueueName } from '../../infra/queue/queue.constants';
import { MailCrypto } from './mail.crypto';
import {
  domainOf,
  type MailJobData,
  type MailPayloads,
  type PasswordChangedMail,
  type PasswordResetOtpMail,
  type RegistrationOtpMail,
} from './mail.types';

export const MAIL_ATTEMPTS = 5;
/** Each retry waits base × 2^(n-1), minus up to half of it at random (no thundering herd). */
export const MAIL_BACKOFF_JITTER = 0.5;
/** Completed jobs stay an hour (the de-duplication window); failed ones a week, for inspection. */
export const MAIL_KEEP_COMPLETED = { age: 3_600, count: 1_000 } as const;
export const MAIL_KEEP_FAILED = { age: 7 * 24 * 3_600 } as const;
/** The queue's connection waits for Redis forever; a request must not. */
export const MAIL_ENQUEUE_TIMEOUT_MS = 3_000;

export type MailQueue = Queue<MailJobData, unknown, MailJob>;

/**
 * Enqueue only: callers never wait for SMTP. Each mail is a BullMQ job whose payload is sealed
 * (see MailCrypto) and whose id is derived from the recipient and an idempotency input, so the
 * same mail enqueued twice is one job. Resolves with the job id.
 */
@Injectable()
export class MailService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('MailService');
  private readonly jobOptions: JobsOptions;

  constructor(
    @InjectQueue(QueueName.Mail) private readonly queue: MailQueue,
    private readonly crypto: MailCrypto,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    // BullMQ re-emits connection failures on the queue; without a listener they would be thrown as
    // unhandled 'error' events (seen when the app closes while the queue is still connecting).
    this.queue.on('error', (error: Error) => this.logger.warn(`mail queue: ${error.message}`));
    this.jobOptions = {
      attempts: MAIL_ATTEMPTS,
      backoff: { type: 'exponential', delay: config.mail.retryBaseMs, jitter: MAIL_BACKOFF_JITTER },
      removeOnComplete: MAIL_KEEP_COMPLETED,
      removeOnFail: MAIL_KEEP_FAILED,
    };
  }

  /**
   * The app counts as started only once the queue's connection is up: BullMQ reports a connection
   * closed while it is still initialising as an unhandled error, so a fast start-then-stop must not
   * race it.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.queue.waitUntilReady();
  }

  /**
   * With Redis away, BullMQ's graceful queue close would wait forever for a QUIT that can't be
   * sent; drop the connection instead so shutdown stays within its grace period.
   */
  async beforeApplicationShutdown(): Promise<void> {
    // Even asking for the client can wait on the lost connection, so neither step is awaited long.
    const client = await Promise.race([
      this.queue.client.catch(() => undefined),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 200).unref()),
    ]);
    if (client?.status === 'ready') return;
    this.queue.disconnect().catch(() => undefined);
  }

  /** De-duplicated per code: re-sending the same OTP is a no-op, a new OTP is a new mail. */
  sendRegistrationOtp(input: RegistrationOtpMail): Promise<string> {
    const { to, username, otp, expiresInSeconds } = input;
    return this.enqueue(
      MailJob.RegistrationOtp,
      { to, username, otp, expiresInSeconds },
      input.idempotencyKey ?? `otp/${otp}`,
    );
  }

  sendPasswordResetOtp(input: PasswordResetOtpMail): Promise<string> {
    const { to, otp, expiresInSeconds } = input;
    return this.enqueue(
      MailJob.PasswordResetOtp,
      { to, otp, expiresInSeconds },
      input.idempotencyKey ?? `otp/${otp}`,
    );
  }

  /** Without an idempotencyKey every call is a new mail (two changes, two notices). */
  sendPasswordChanged(input: PasswordChangedMail): Promise<string> {
    const { to, username } = input;
    return this.enqueue(
      MailJob.PasswordChanged,
      { to, username },
      input.idempotencyKey ?? `random/${randomUUID()}`,
    );
  }

  private async enqueue<K extends MailJob>(
    job: K,
    payload: MailPayloads[K],
    nonce: string,
  ): Promise<string> {
    const jobId = this.crypto.jobId(job, payload.to, nonce);
    const data = this.crypto.seal(job, payload);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AppException('DEPENDENCY_UNAVAILABLE', 'The mail queue is unavailable')),
        MAIL_ENQUEUE_TIMEOUT_MS,
      );
    });
    try {
      // A timed-out add may still land later; the stable job id makes that harmless.
      await Promise.race([this.queue.add(job, data, { ...this.jobOptions, jobId }), timeout]);
    } catch (error) {
      this.logger.warn(`could not queue ${job} mail ${jobId}: ${describe(error)}`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    this.logger.debug(`queued ${job} mail ${jobId} to @${domainOf(payload.to)}`);
    return jobId;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
