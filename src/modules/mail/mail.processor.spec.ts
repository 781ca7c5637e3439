import { Logger } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import type { AppConfig } from '../../config/app-config';
import type { RedisService } from '../../infra/redis/redis.service';
import { MailJob } from '../../infra/queue/queue.constants';
import { MailCrypto } from './mail.crypto';
import { MailProcessor, mailSentKey, toJobError } from './mail.processor';
import type { MailSender } from './mail.sender';
import type { MailJobData, RenderedMail } from './mail.types';
import type { MailTemplates } from './templates/mail.templates';

function smtpError(code: string, responseCode?: number, response?: string): Error {
  return Object.assign(new Error(response ?? code), { code, responseCode, response });
}

describe('toJobError', () => {
  it('fails permanently on an SMTP 5xx reply, and hides the local part of addresses', () => {
    const error = toJobError(
      smtpError('EENVELOPE', 550, '550 5.1.1 <jane.doe@example.com>: Recipient address rejected'),
    );
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(error.message).toContain('550');
    expect(error.message).toContain('***@example.com');
    expect(error.message).not.toContain('jane.doe');
  });

  it('retries connection failures, timeouts, 4xx replies and authentication failures', () => {
    for (const error of [
      smtpError('ECONNECTION', undefined, 'connect ECONNREFUSED 127.0.0.1:25'),
      smtpError('ETIMEDOUT'),
      smtpError('EENVELOPE', 451, '451 4.3.0 try again later'),
      smtpError('EAUTH', 535, '535 5.7.8 authentication failed'),
      new Error('boom'),
    ]) {
      const mapped = toJobError(error);
      expect(mapped).not.toBeInstanceOf(UnrecoverableError);
      expect(mapped).toBeInstanceOf(Error);
    }
  });
});

describe('MailProcessor', () => {
  beforeAll(() => Logger.overrideLogger(false));

  const crypto = new MailCrypto('unit-test-otp-secret-that-is-long-enough-0123456789');
  const rendered: RenderedMail = { to: 'a@example.com', subject: 's', html: 'h', text: 't' };

  function setup(alreadySent: boolean) {
    const store = new Map<string, string>(alreadySent ? [[mailSentKey('job-1'), 'x']] : []);
    const redis = {
      client: {
        exists: jest.fn((key: string) => Promise.resolve(store.has(key) ? 1 : 0)),
        set: jest.fn((key: string, value: string) => {
          store.set(key, value);
          return Promise.resolve('OK');
        }),
      },
    } as unknown as RedisService;
    const templates = { render: jest.fn(() => rendered) } as unknown as MailTemplates;
    const send = jest.fn(() => Promise.resolve({ messageId: '<m@x>' }));
    const sender = { send } as unknown as MailSender;
    const config = { shutdownGraceMs: 1_000 } as AppConfig;
    const processor = new MailProcessor(redis, crypto, templates, sender, config);
    return { processor, send, store };
  }

  function job(data: MailJobData, name: string = MailJob.PasswordChanged) {
    return { id: 'job-1', name, data, attemptsMade: 0, opts: { attempts: 5 } } as unknown as Job<
      MailJobData,
      never,
      string
    >;
  }

  const data = crypto.seal(MailJob.PasswordChanged, { to: 'a@example.com', username: 'ali' });

  it('sends once and records the send', async () => {
    const { processor, send, store } = setup(false);
    await expect(processor.process(job(data))).resolves.toEqual({
      status: 'sent',
      messageId: '<m@x>',
    });
    expect(send).toHaveBeenCalledWith(rendered, 'job-1');
    expect(store.has(mailSentKey('job-1'))).toBe(true);
  });

  it('does not send a job whose mail already left', async () => {
    const { processor, send } = setup(true);
    await expect(processor.process(job(data))).resolves.toEqual({ status: 'already-sent' });
    expect(send).not.toHaveBeenCalled();
  });

  it('fails for good on data it cannot decrypt or a job name it does not know', async () => {
    const { processor, send } = setup(false);
    await expect(processor.process(job(data, MailJob.RegistrationOtp))).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
    await expect(processor.process(job(data, 'unknown'))).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
    expect(send).not.toHaveBeenCalled();
  });
});
