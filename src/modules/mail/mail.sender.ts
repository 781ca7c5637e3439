import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import SMTPPool from 'nodemailer/lib/smtp-pool';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type { RenderedMail } from './mail.types';

/** A dead or stalled SMTP server must fail the job (so it is retried), never hang it. */
export const SMTP_TIMEOUTS = {
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 30_000,
  dnsTimeout: 10_000,
} as const;

export interface SentMail {
  messageId: string;
  /** Where the development transport wrote the message; absent for SMTP. */
  file?: string;
}

interface MailTransport {
  readonly kind: 'smtp' | 'folder';
  send(mail: RenderedMail, from: string, jobId: string): Promise<SentMail>;
  close(): void;
  abort(): void;
}

/** SMTP_URL set: a pooled SMTP connection with timeouts. */
class SmtpTransport implements MailTransport {
  readonly kind = 'smtp';
  private readonly pool: SMTPPool;
  private readonly transporter: Transporter;
  private closed = false;

  constructor(url: string) {
    // The pool is built here rather than by createTransport({ url, ... }): given a `url`,
    // createTransport parses it and silently drops every other option (pool, timeouts).
    const options: SMTPPool.Options & { maxRequeues: number } = {
      url,
      pool: true,
      maxConnections: 5,
      maxMessages: 100,
      // A connection lost mid-send fails the send (BullMQ retries it with backoff and counts the
      // attempt) instead of nodemailer silently re-queueing it forever inside the pool.
      // (A real SMTPPool option, missing from its typings.)
      maxRequeues: 0,
      ...SMTP_TIMEOUTS,
      // nodemailer logs nothing unless asked; keep it that way (it would print message bodies).
      logger: false,
      debug: false,
    };
    this.pool = new SMTPPool(options);
    this.transporter = createTransport(this.pool);
  }

  async send(mail: RenderedMail, from: string): Promise<SentMail> {
    const info = (await this.transporter.sendMail({ from, ...mail })) as { messageId: string };
    return { messageId: info.messageId };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.transporter.close();
  }

  /**
   * The pool's close() only ends idle connections and lets busy ones finish; on a stalled server
   * that is never. Ending the busy ones too fails their sends (their jobs are retried).
   */
  abort(): void {
    const busy = (this.pool as unknown as PoolInternals)._connections ?? [];
    for (const connection of [...busy]) connection.close();
    this.close();
  }
}

/** The part of nodemailer's SMTPPool that abort() needs (not in its typings). */
interface PoolInternals {
  _connections?: { close(): void }[];
}

/** Development without SMTP_URL: each message becomes a readable .eml file in MAIL_DEV_DIR. */
class FolderTransport implements MailTransport {
  readonly kind = 'folder';
  private readonly transporter: Transporter;

  constructor(readonly dir: string) {
    this.transporter = createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  async send(mail: RenderedMail, from: string, jobId: string): Promise<SentMail> {
    const info = (await this.transporter.sendMail({ from, ...mail })) as {
      messageId: string;
      message: Buffer;
    };
    await mkdir(this.dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = join(this.dir, `${stamp}-${jobId.replace(/[^A-Za-z0-9_.-]/g, '_')}.eml`);
    await writeFile(file, info.message, { mode: 0o600 });
    return { messageId: info.messageId, file };
  }

  close(): void {
    this.transporter.close();
  }

  abort(): void {
    this.close();
  }
}

/** The one class that touches nodemailer. */
@Injectable()
export class MailSender implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('MailSender');
  private readonly transport: MailTransport;
  private readonly from: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.from = config.mail.from;
    if (config.mail.smtpUrl) {
      this.transport = new SmtpTransport(config.mail.smtpUrl);
    } else if (!config.isProduction) {
      this.transport = new FolderTransport(resolve(config.mail.devDir));
    } else {
      // Config validation already refuses this; never fall back to a folder in production.
      throw new Error('SMTP_URL is required in production');
    }
  }

  get kind(): MailTransport['kind'] {
    return this.transport.kind;
  }

  async onModuleInit(): Promise<void> {
    if (this.transport instanceof FolderTransport) {
      await mkdir(this.transport.dir, { recursive: true });
      this.logger.log(
        `SMTP_URL is empty: mails are written as .eml files to ${this.transport.dir}`,
      );
    }
  }

  send(mail: RenderedMail, jobId: string): Promise<SentMail> {
    return this.transport.send(mail, this.from, jobId);
  }

  /** Closes the transport now: sends in flight fail (and their jobs are retried). */
  abort(): void {
    this.transport.abort();
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }
}
