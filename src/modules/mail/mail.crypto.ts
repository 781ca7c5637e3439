import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  type BinaryLike,
} from 'node:crypto';
import type { MailJob } from '../../infra/queue/queue.constants';
import { domainOf, type MailJobData, type MailPayloads } from './mail.types';

const SALT = 'baat-cheet/mail';
/** Distinct HKDF info strings: the OTP secret's other uses never share a key with these. */
const PAYLOAD_KEY_INFO = 'baat-cheet/mail/payload/aes-256-gcm/v1';
const JOB_ID_KEY_INFO = 'baat-cheet/mail/job-id/hmac-sha256/v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class MailPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MailPayloadError';
  }
}

function deriveKey(secret: BinaryLike, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, SALT, info, 32));
}

/**
 * BullMQ keeps job data in Redis, and Redis must never hold an OTP in the clear. Mail payloads are
 * sealed with AES-256-GCM under a key derived (HKDF-SHA256) from OTP_SECRET; the job name and the
 * visible recipient domain are bound in as associated data, so a sealed payload cannot be replayed
 * under another job name. Job ids are keyed HMACs, so they reveal nothing about a 6-digit code.
 */
export class MailCrypto {
  private readonly payloadKey: Buffer;
  private readonly jobIdKey: Buffer;

  constructor(otpSecret: string) {
    if (!otpSecret) throw new Error('MailCrypto: the OTP secret must not be empty');
    this.payloadKey = deriveKey(otpSecret, PAYLOAD_KEY_INFO);
    this.jobIdKey = deriveKey(otpSecret, JOB_ID_KEY_INFO);
  }

  seal<K extends MailJob>(job: K, payload: MailPayloads[K]): MailJobData {
    const recipientDomain = domainOf(payload.to);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.payloadKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(job, recipientDomain));
    const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
    const sealed = [iv, body, cipher.getAuthTag()].map((part) => part.toString('base64url'));
    return { v: 1, recipientDomain, sealed: sealed.join('.') };
  }

  /** Throws MailPayloadError when the data was tampered with or sealed under another key. */
  open<K extends MailJob>(job: K, data: MailJobData): MailPayloads[K] {
    const parts = typeof data?.sealed === 'string' ? data.sealed.split('.') : [];
    if (data?.v !== 1 || parts.length !== 3) {
      throw new MailPayloadError('mail payload has an unknown format');
    }
    const [iv, body, tag] = parts.map((part) => Buffer.from(part, 'base64url'));
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new MailPayloadError('mail payload has an unknown format');
    }
    let plain: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.payloadKey, iv, {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(associatedData(job, data.recipientDomain));
      decipher.setAuthTag(tag);
      plain = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      throw new MailPayloadError(
        'mail payload failed authentication (tampered, or sealed under another OTP_SECRET)',
      );
    }
    const payload = JSON.parse(plain) as MailPayloads[K];
    if (typeof payload?.to !== 'string') {
      throw new MailPayloadError('mail payload has no recipient');
    }
    return payload;
  }

  /**
   * A stable BullMQ job id for one mail: the same (job, recipient, nonce) always gives the same id,
   * so a repeated enqueue is a no-op while the first job is still kept. No ':' (BullMQ refuses it).
   */
  jobId(job: MailJob, to: string, nonce: string): string {
    const digest = createHmac('sha256', this.jobIdKey)
      .update(JSON.stringify([job, to.trim().toLowerCase(), nonce]), 'utf8')
      .digest('base64url');
    return `${job}.${digest.slice(0, 32)}`;
  }
}

function associatedData(job: MailJob, recipientDomain: string): Buffer {
  return Buffer.from(JSON.stringify(['v1', job, recipientDomain]), 'utf8');
}
