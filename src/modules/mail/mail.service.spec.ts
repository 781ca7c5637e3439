import { Logger } from '@nestjs/common';
import type { JobsOptions } from 'bullmq';
import { AppException } from '../../common/errors/app.exception';
import type { AppConfig } from '../../config/app-config';
import { MailJob } from '../../infra/queue/queue.constants';
import { MailCrypto } from './mail.crypto';
import { MAIL_ENQUEUE_TIMEOUT_MS, MailService, type MailQueue } from './mail.service';
import type { MailJobData } from './mail.types';

interface Added {
  name: string;
  data: MailJobData;
  opts: JobsOptions;
}

function setup(add?: () => Promise<unknown>): {
  service: MailService;
  added: Added[];
  crypto: MailCrypto;
} {
  const added: Added[] = [];
  const queue = {
    on: jest.fn(),
    add: jest.fn((name: string, data: MailJobData, opts: JobsOptions) => {
      added.push({ name, data, opts });
      return add ? add() : Promise.resolve({ id: opts.jobId });
    }),
  } as unknown as MailQueue;
  const crypto = new MailCrypto('unit-test-otp-secret-that-is-long-enough-0123456789');
  const config = { mail: { retryBaseMs: 1234 } } as unknown as AppConfig;
  return { service: new MailService(queue, crypto, config), added, crypto };
}

describe('MailService', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('queues a sealed job with retries, jittered backoff, retention and a stable id', async () => {
    const { service, added, crypto } = setup();
    const input = { to: 'a@example.com', username: 'ali', otp: '112233', expiresInSeconds: 300 };
    const jobId = await service.sendRegistrationOtp(input);

    expect(added).toHaveLength(1);
    const [job] = added;
    expect(job.name).toBe(MailJob.RegistrationOtp);
    expect(job.opts).toEqual({
      jobId,
      attempts: 5,
      backoff: { type: 'exponential', delay: 1234, jitter: 0.5 },
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 604800 },
    });
    expect(JSON.stringify(job)).not.toContain('112233');
    expect(JSON.stringify(job)).not.toContain('ali');
    expect(crypto.open(MailJob.RegistrationOtp, job.data)).toEqual(input);

    expect(await service.sendRegistrationOtp({ ...input })).toBe(jobId);
    expect(await service.sendRegistrationOtp({ ...input, otp: '445566' })).not.toBe(jobId);
  });

  it('stores only the fields a mail needs', async () => {
    const { service, added, crypto } = setup();
    const input = {
      to: 'a@example.com',
      otp: '112233',
      expiresInSeconds: 300,
      password: 'hunter22',
    };
    await service.sendPasswordResetOtp(input);
    expect(crypto.open(MailJob.PasswordResetOtp, added[0].data)).toEqual({
      to: 'a@example.com',
      otp: '112233',
      expiresInSeconds: 300,
    });
  });

  it('makes every password-changed notice a new job unless given an idempotency key', async () => {
    const { service } = setup();
    const input = { to: 'a@example.com', username: 'ali' };
    expect(await service.sendPasswordChanged(input)).not.toBe(
      await service.sendPasswordChanged(input),
    );
    const keyed = { ...input, idempotencyKey: 'change-1' };
    expect(await service.sendPasswordChanged(keyed)).toBe(await service.sendPasswordChanged(keyed));
  });

  it('gives up with DEPENDENCY_UNAVAILABLE when the queue does not answer in time', async () => {
    jest.useFakeTimers();
    try {
      const { service } = setup(() => new Promise(() => undefined));
      const pending = service.sendPasswordChanged({ to: 'a@example.com', username: 'ali' });
      const outcome = expect(pending).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
      await jest.advanceTimersByTimeAsync(MAIL_ENQUEUE_TIMEOUT_MS);
      await outcome;
      await expect(pending).rejects.toBeInstanceOf(AppException);
    } finally {
      jest.useRealTimers();
    }
  });
});
