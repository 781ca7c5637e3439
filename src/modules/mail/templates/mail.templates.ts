import { Inject, Injectable } from '@nestjs/common';
import Mailgen from 'mailgen';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config';
import { MailJob } from '../../../infra/queue/queue.constants';
import type { MailPayload, MailPayloads, RenderedMail } from '../mail.types';

interface Template {
  subject: string;
  body: Mailgen.ContentBody;
}

/** mailgen inserts every value unescaped into its HTML; its plain-text output decodes entities again. */
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function minutes(seconds: number): string {
  const value = Math.max(1, Math.round(seconds / 60));
  return `${value} minute${value === 1 ? '' : 's'}`;
}

/** The code on a line of its own: large in HTML, a bare line in text (tags are stripped there). */
function codeLine(otp: string): string {
  return `<span style="display:inline-block;font-size:28px;font-weight:700;letter-spacing:6px;color:#1f2d3d">${escapeHtml(otp)}</span>`;
}

/** Renders every mail the app sends, as HTML + plain text, with mailgen's default theme. */
@Injectable()
export class MailTemplates {
  private readonly generator: Mailgen;
  private readonly appName: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.appName = config.mail.appName;
    this.generator = new Mailgen({
      theme: 'default',
      product: {
        name: escapeHtml(config.mail.appName),
        link: escapeHtml(config.mail.appUrl),
        copyright: `&copy; ${escapeHtml(config.mail.appName)}`,
      },
    });
  }

  render(mail: MailPayload): RenderedMail {
    const template = this.template(mail);
    const content: Mailgen.Content = { body: template.body };
    // mailgen mutates the body it is given; render each part from its own copy.
    const html = this.generator.generate(structuredClone(content)) as string;
    const text = this.generator.generatePlaintext(structuredClone(content)) as string;
    return { to: mail.data.to, subject: template.subject, html, text: tidyText(text) };
  }

  private template(mail: MailPayload): Template {
    switch (mail.job) {
      case MailJob.RegistrationOtp:
        return this.registrationOtp(mail.data);
      case MailJob.PasswordResetOtp:
        return this.passwordResetOtp(mail.data);
      case MailJob.PasswordChanged:
        return this.passwordChanged(mail.data);
    }
  }

  private registrationOtp(data: MailPayloads[MailJob.RegistrationOtp]): Template {
    const app = escapeHtml(this.appName);
    return {
      subject: `Verify your email for ${this.appName}`,
      body: {
        name: escapeHtml(data.username),
        intro: [
          `Welcome to ${app}! Enter this code to finish creating your account:`,
          codeLine(data.otp),
        ],
        outro: [
          `The code expires in ${minutes(data.expiresInSeconds)}. Never share it: ${app} will never ask you for it.`,
          'If you did not sign up, ignore this email: no account is created until the code is entered.',
        ],
      },
    };
  }

  private passwordResetOtp(data: MailPayloads[MailJob.PasswordResetOtp]): Template {
    const app = escapeHtml(this.appName);
    return {
      subject: `Reset your ${this.appName} password`,
      body: {
        intro: [
          `Someone asked to reset the password of your ${app} account. Enter this code to choose a new one:`,
          codeLine(data.otp),
        ],
        outro: [
          `The code expires in ${minutes(data.expiresInSeconds)}. Never share it: ${app} will never ask you for it.`,
          'If you did not ask for this, ignore this email: your password stays as it is.',
        ],
      },
    };
  }

  private passwordChanged(data: MailPayloads[MailJob.PasswordChanged]): Template {
    const app = escapeHtml(this.appName);
    return {
      subject: `Your ${this.appName} password was changed`,
      body: {
        name: escapeHtml(data.username),
        intro: [
          `The password of your ${app} account was just changed, and your other sessions were signed out.`,
        ],
        outro: [
          'If this was you, there is nothing else to do.',
          `If it was not, reset your password right away from the ${app} sign-in page.`,
        ],
      },
    };
  }
}

/** mailgen's text output keeps the theme's indentation and blank runs; trim them for readers. */
function tidyText(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
    .concat('\n');
}
