import type { AppConfig } from '../../config/app-config';
import { MailSender, SMTP_TIMEOUTS } from './mail.sender';

function config(mail: Partial<AppConfig['mail']>, isProduction = false): AppConfig {
  return {
    isProduction,
    mail: { from: 'App <no-reply@example.com>', devDir: '/tmp/unused', ...mail },
  } as unknown as AppConfig;
}

describe('MailSender', () => {
  it('talks SMTP through a pool that keeps its timeouts and never re-queues by itself', () => {
    const sender = new MailSender(config({ smtpUrl: 'smtp://user:pass@mail.example.com:2525' }));
    try {
      expect(sender.kind).toBe('smtp');
      // Regression guard: createTransport({ url, ...options }) would drop every option but the URL.
      const pool = (sender as unknown as { transport: { pool: { name: string; options: object } } })
        .transport.pool;
      expect(pool.name).toBe('SMTP (pool)');
      expect(pool.options).toMatchObject({
        ...SMTP_TIMEOUTS,
        host: 'mail.example.com',
        port: 2525,
        auth: { user: 'user', pass: 'pass' },
        maxRequeues: 0,
      });
    } finally {
      sender.onApplicationShutdown();
    }
  });

  it('writes to the development folder only outside production', () => {
    expect(new MailSender(config({ smtpUrl: undefined })).kind).toBe('folder');
    expect(() => new MailSender(config({ smtpUrl: undefined }, true))).toThrow(/SMTP_URL/);
  });
});
