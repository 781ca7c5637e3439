import type { AppConfig } from '../../../config/app-config';
import { MailJob } from '../../../infra/queue/queue.constants';
import { MailTemplates } from './mail.templates';

const config = {
  mail: { appName: 'Baat Cheet', appUrl: 'https://chat.example.com' },
} as unknown as AppConfig;

const standalone = (digits: string): RegExp => new RegExp(`(?<!\\d)${digits}(?!\\d)`);

describe('MailTemplates', () => {
  const templates = new MailTemplates(config);

  it('puts the registration code in both parts, with subject, greeting and expiry', () => {
    const mail = templates.render({
      job: MailJob.RegistrationOtp,
      data: { to: 'a@example.com', username: 'ali', otp: '004217', expiresInSeconds: 300 },
    });
    expect(mail.to).toBe('a@example.com');
    expect(mail.subject).toBe('Verify your email for Baat Cheet');
    expect(mail.subject).not.toMatch(/\d{6}/);
    expect(mail.text).toMatch(standalone('004217'));
    expect(mail.html).toMatch(standalone('004217'));
    expect(mail.text).toContain('Hi ali,');
    expect(mail.text).toContain('expires in 5 minutes');
    expect(mail.html).toContain('https://chat.example.com');
    expect(mail.html).toContain('</html>');
  });

  it('puts the reset code in both parts, with the expiry in minutes', () => {
    const mail = templates.render({
      job: MailJob.PasswordResetOtp,
      data: { to: 'a@example.com', otp: '987654', expiresInSeconds: 60 },
    });
    expect(mail.subject).toBe('Reset your Baat Cheet password');
    expect(mail.text).toMatch(standalone('987654'));
    expect(mail.html).toMatch(standalone('987654'));
    expect(mail.text).toContain('expires in 1 minute.');
  });

  it('tells the owner the password changed, with no code in it', () => {
    const mail = templates.render({
      job: MailJob.PasswordChanged,
      data: { to: 'a@example.com', username: 'ali' },
    });
    expect(mail.subject).toBe('Your Baat Cheet password was changed');
    expect(mail.text).toContain('was just changed');
    expect(mail.text).not.toMatch(/(?<!\d)\d{6}(?!\d)/);
  });

  it('escapes values in the HTML part', () => {
    const mail = templates.render({
      job: MailJob.PasswordChanged,
      data: { to: 'a@example.com', username: '<img src=x onerror=alert(1)>' },
    });
    expect(mail.html).not.toContain('<img src=x');
    expect(mail.html).toContain('&#60;img src=x');
  });

  it('renders the same input the same way twice (mailgen mutates its input)', () => {
    const input = {
      job: MailJob.RegistrationOtp,
      data: { to: 'a@example.com', username: 'ali', otp: '004217', expiresInSeconds: 300 },
    } as const;
    expect(templates.render(input)).toEqual(templates.render(input));
  });
});
