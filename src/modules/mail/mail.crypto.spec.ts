import { MailJob } from '../../infra/queue/queue.constants';
import { MailCrypto, MailPayloadError } from './mail.crypto';

const SECRET = 'unit-test-otp-secret-that-is-long-enough-0123456789';
const payload = {
  to: 'Someone@Example.com',
  username: 'some_one',
  otp: '031337',
  expiresInSeconds: 300,
};

describe('MailCrypto', () => {
  const crypto = new MailCrypto(SECRET);

  it('round-trips a payload and keeps nothing personal readable', () => {
    const sealed = crypto.seal(MailJob.RegistrationOtp, payload);
    expect(crypto.open(MailJob.RegistrationOtp, sealed)).toEqual(payload);
    const stored = JSON.stringify(sealed);
    expect(stored).not.toContain('031337');
    expect(stored).not.toContain('some_one');
    expect(stored).not.toContain('Someone');
    expect(sealed.recipientDomain).toBe('example.com');
  });

  it('uses a fresh IV each time', () => {
    const a = crypto.seal(MailJob.RegistrationOtp, payload);
    const b = crypto.seal(MailJob.RegistrationOtp, payload);
    expect(a.sealed).not.toBe(b.sealed);
  });

  it('refuses tampered data, another job name, another domain and another secret', () => {
    const sealed = crypto.seal(MailJob.RegistrationOtp, payload);
    const [iv, body, tag] = sealed.sealed.split('.');
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] ^= 1;
    const tampered = { ...sealed, sealed: [iv, flipped.toString('base64url'), tag].join('.') };
    expect(() => crypto.open(MailJob.RegistrationOtp, tampered)).toThrow(MailPayloadError);
    expect(() => crypto.open(MailJob.PasswordResetOtp, sealed)).toThrow(MailPayloadError);
    expect(() =>
      crypto.open(MailJob.RegistrationOtp, { ...sealed, recipientDomain: 'evil.example' }),
    ).toThrow(MailPayloadError);
    expect(() => new MailCrypto(`${SECRET}x`).open(MailJob.RegistrationOtp, sealed)).toThrow(
      MailPayloadError,
    );
    expect(() =>
      crypto.open(MailJob.RegistrationOtp, { v: 1, recipientDomain: 'x', sealed: 'nonsense' }),
    ).toThrow(MailPayloadError);
  });

  it('derives stable, BullMQ-safe job ids that reveal nothing and differ per input', () => {
    const id = crypto.jobId(MailJob.RegistrationOtp, 'a@example.com', 'otp/031337');
    expect(id).toBe(crypto.jobId(MailJob.RegistrationOtp, ' A@Example.com ', 'otp/031337'));
    expect(id).toMatch(/^registration-otp\.[A-Za-z0-9_-]{32}$/);
    expect(id).not.toContain('031337');
    expect(crypto.jobId(MailJob.RegistrationOtp, 'a@example.com', 'otp/031338')).not.toBe(id);
    expect(crypto.jobId(MailJob.PasswordResetOtp, 'a@example.com', 'otp/031337')).not.toBe(
      id.replace('registration-otp', 'password-reset-otp'),
    );
    expect(crypto.jobId(MailJob.RegistrationOtp, 'b@example.com', 'otp/031337')).not.toBe(id);
    expect(
      new MailCrypto(`${SECRET}x`).jobId(MailJob.RegistrationOtp, 'a@example.com', 'otp/031337'),
    ).not.toBe(id);
  });

  it('refuses an empty secret', () => {
    expect(() => new MailCrypto('')).toThrow();
  });
});
