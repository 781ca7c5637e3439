import { MailJob } from '../../infra/queue/queue.constants';

/** What the auth module asks for. `idempotencyKey` overrides the default de-duplication input. */
export interface RegistrationOtpMail {
  to: string;
  username: string;
  otp: string;
  expiresInSeconds: number;
  idempotencyKey?: string;
}

export interface PasswordResetOtpMail {
  to: string;
  otp: string;
  expiresInSeconds: number;
  idempotencyKey?: string;
}

export interface PasswordChangedMail {
  to: string;
  username: string;
  idempotencyKey?: string;
}

/** The decrypted payload of each job name (never stored in the clear: see MailCrypto). */
export interface MailPayloads {
  [MailJob.RegistrationOtp]: Omit<RegistrationOtpMail, 'idempotencyKey'>;
  [MailJob.PasswordResetOtp]: Omit<PasswordResetOtpMail, 'idempotencyKey'>;
  [MailJob.PasswordChanged]: Omit<PasswordChangedMail, 'idempotencyKey'>;
}

/** A payload tagged with its job name, so templates can switch on it exhaustively. */
export type MailPayload = {
  [K in MailJob]: { job: K; data: MailPayloads[K] };
}[MailJob];

/**
 * What BullMQ stores in Redis. Everything personal is sealed (AES-256-GCM); only the recipient's
 * domain stays readable so a failed job can be inspected without decrypting it.
 */
export interface MailJobData {
  v: 1;
  recipientDomain: string;
  sealed: string;
}

export interface RenderedMail {
  to: string;
  subject: string;
  html: string;
  text: string;
}

export interface MailModuleOptions {
  /** Register the BullMQ worker (processor, sender, templates) in this process. */
  processors: boolean;
}

const MAIL_JOBS = new Set<string>(Object.values(MailJob));

export function isMailJob(name: string): name is MailJob {
  return MAIL_JOBS.has(name);
}

/** The part of an address that is safe to log. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at >= 0 ? address.slice(at + 1).toLowerCase() : 'invalid';
}
