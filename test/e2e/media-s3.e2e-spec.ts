import type { S3Client } from '@aws-sdk/client-s3';
import { setTimeout as delay } from 'node:timers/promises';
import request from 'supertest';
import type { S3Settings } from '../../src/config/app-config';
import { S3StorageDriver } from '../../src/modules/media/storage/s3.driver';
import { startTestApp, type TestApp } from '../support/app';
import { signUpBearer, smtpOtpReader, type BearerSession } from '../support/auth';
import {
  assertS3Reachable,
  objectExists,
  postForm,
  s3AppEnv,
  testS3Client,
  testS3Settings,
} from '../support/ceph';
import { expectErrorEnvelope } from '../support/envelope';
import {
  completeUpload,
  createIntent,
  EXE_HEAD,
  getMedia,
  PDF_HEAD,
  PNG_1x1,
} from '../support/media';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

interface S3Intent {
  mediaId: string;
  upload: { method: string; url: string; fields: Record<string, string>; expiresAt: string };
}

type PolicyCondition = Record<string, string> | (string | number)[];

function policyOf(fields: Record<string, string>): {
  expiration: string;
  conditions: PolicyCondition[];
} {
  return JSON.parse(Buffer.from(fields.Policy, 'base64').toString('utf8')) as {
    expiration: string;
    conditions: PolicyCondition[];
  };
}

/** Flips the last hex digit: still well-formed, no longer the signature of this policy. */
function tamper(signature: string): string {
  const last = signature.at(-1) === '0' ? '1' : '0';
  return `${signature.slice(0, -1)}${last}`;
}

/**
 * The S3 driver against a real S3-compatible store: Ceph radosgw on loopback (scripts/ceph.sh).
 * The rejections below are the store's own answers to presigned POSTs, not the app's.
 */
describe('media with the s3 driver (Ceph radosgw)', () => {
  let settings: S3Settings;
  let s3: S3Client;
  let t: TestApp;
  let smtp: TestSmtpServer;
  let alice: BearerSession;

  const intentFor = async (body: Record<string, unknown>): Promise<S3Intent> => {
    const intent = (await createIntent(t.url, alice.accessToken, {
      filename: 'file.png',
      contentType: 'image/png',
      size: PNG_1x1.length,
      purpose: 'attachment',
      ...body,
    })) as unknown as S3Intent;
    expect(intent.upload.method).toBe('POST');
    return intent;
  };
  const exists = (key: string) => objectExists(s3, settings.bucket, key);
  /** The control of every refusal: the untouched form, with the declared file, goes through. */
  const expectGenuineFormAccepted = async (intent: S3Intent): Promise<void> => {
    const posted = await postForm(intent.upload.url, intent.upload.fields, PNG_1x1);
    expect(posted).toMatchObject({ status: 204 });
    expect(await exists(intent.upload.fields.key)).toBe(true);
  };

  beforeAll(async () => {
    settings = testS3Settings();
    s3 = testS3Client(settings);
    await assertS3Reachable(s3, settings);
    smtp = await startSmtpServer();
    t = await startTestApp({
      env: { ...s3AppEnv(settings), SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' },
    });
    alice = await signUpBearer(t.url, smtpOtpReader(smtp));
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
    s3?.destroy();
  });

  it('uploads by presigned POST straight to the store, completes, and downloads by presigned GET', async () => {
    const intent = await intentFor({ filename: '../x/pä"ss\u0007word.png' });
    const { url, fields } = intent.upload;
    expect(url).toBe(`${settings.endpoint}/${settings.bucket}`);
    expect(fields.key).toBe(`attachment/${intent.mediaId}`);
    expect(fields['Content-Type']).toBe('image/png');
    expect(JSON.stringify(intent.upload)).not.toContain('word');
    const policy = policyOf(fields);
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['eq', '$Content-Type', 'image/png'],
        ['content-length-range', 1, PNG_1x1.length],
        { key: fields.key },
        { bucket: settings.bucket },
      ]),
    );
    const expiresIn = Date.parse(policy.expiration) - Date.now();
    expect(expiresIn).toBeGreaterThan(0);
    expect(expiresIn).toBeLessThanOrEqual(t.config.media.uploadUrlTtlSeconds * 1000 + 2000);

    const before = await getMedia(t.url, alice.accessToken, intent.mediaId).expect(200);
    expect(before.body.data).toMatchObject({ status: 'pending', url: null });
    expectErrorEnvelope(
      await completeUpload(t.url, alice.accessToken, intent.mediaId),
      422,
      'MEDIA_NOT_UPLOADED',
    );

    const posted = await postForm(url, fields, PNG_1x1, 'photo.png');
    expect(posted.status).toBe(204);
    expect(await exists(fields.key)).toBe(true);

    const done = await completeUpload(t.url, alice.accessToken, intent.mediaId).expect(200);
    expect(done.body.data).toMatchObject({
      id: intent.mediaId,
      status: 'ready',
      contentType: 'image/png',
      size: PNG_1x1.length,
      width: 1,
      height: 1,
      filename: 'pä_ss_word.png',
    });

    const meta = await getMedia(t.url, alice.accessToken, intent.mediaId).expect(200);
    const download = new URL(meta.body.data.url as string);
    expect(`${download.origin}${download.pathname}`).toBe(`${url}/${fields.key}`);
    expect(Number(download.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(
      t.config.media.downloadUrlTtlSeconds,
    );
    const file = await fetch(download);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).equals(PNG_1x1)).toBe(true);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(file.headers.get('content-disposition')).toBe(
      `inline; filename="p__ss_word.png"; filename*=UTF-8''p%C3%A4_ss_word.png`,
    );

    // The presigned GET is bound to its query: another disposition breaks the signature.
    download.searchParams.set('response-content-disposition', 'attachment; filename="evil.html"');
    expect((await fetch(download)).status).toBe(403);
  });

  describe('the store itself refuses a POST outside the policy', () => {
    it('refuses more bytes than declared (content-length-range)', async () => {
      const intent = await intentFor({ size: PNG_1x1.length });
      const oversized = Buffer.concat([PNG_1x1, Buffer.alloc(1)]);
      const posted = await postForm(intent.upload.url, intent.upload.fields, oversized);
      expect(posted.status).toBe(400);
      expect(posted.code).toBe('EntityTooLarge');
      expect(await exists(intent.upload.fields.key)).toBe(false);
      expectErrorEnvelope(
        await completeUpload(t.url, alice.accessToken, intent.mediaId),
        422,
        'MEDIA_NOT_UPLOADED',
      );
      await expectGenuineFormAccepted(intent);
    });

    it('refuses an empty file (the range starts at one byte)', async () => {
      const intent = await intentFor({});
      const posted = await postForm(intent.upload.url, intent.upload.fields, Buffer.alloc(0));
      expect(posted.status).toBe(400);
      expect(posted.code).toBe('EntityTooSmall');
      expect(await exists(intent.upload.fields.key)).toBe(false);
      await expectGenuineFormAccepted(intent);
    });

    it('refuses another content type than the policy fixes', async () => {
      const intent = await intentFor({});
      const fields = { ...intent.upload.fields, 'Content-Type': 'text/html' };
      const posted = await postForm(intent.upload.url, fields, PNG_1x1);
      expect(posted.status).toBe(403);
      expect(posted.code).toBe('AccessDenied');
      expect(await exists(intent.upload.fields.key)).toBe(false);
      await expectGenuineFormAccepted(intent);
    });

    it('refuses a tampered signature', async () => {
      const intent = await intentFor({});
      const fields = {
        ...intent.upload.fields,
        'X-Amz-Signature': tamper(intent.upload.fields['X-Amz-Signature']),
      };
      const posted = await postForm(intent.upload.url, fields, PNG_1x1);
      expect(posted.status).toBe(403);
      // AWS says SignatureDoesNotMatch; radosgw answers a POST's bad signature with AccessDenied.
      expect(['SignatureDoesNotMatch', 'AccessDenied']).toContain(posted.code);
      expect(await exists(intent.upload.fields.key)).toBe(false);
      await expectGenuineFormAccepted(intent);
    });

    it('refuses a policy edited to allow more (the signature no longer matches)', async () => {
      const intent = await intentFor({});
      const policy = policyOf(intent.upload.fields);
      const widened = policy.conditions.map((condition) =>
        Array.isArray(condition) && condition[0] === 'content-length-range'
          ? ['content-length-range', 1, 10 * 1024 * 1024]
          : condition,
      );
      const fields = {
        ...intent.upload.fields,
        Policy: Buffer.from(JSON.stringify({ ...policy, conditions: widened })).toString('base64'),
      };
      const posted = await postForm(intent.upload.url, fields, Buffer.alloc(1024, 1));
      expect(posted.status).toBe(403);
      expect(['SignatureDoesNotMatch', 'AccessDenied']).toContain(posted.code);
      expect(await exists(intent.upload.fields.key)).toBe(false);
      await expectGenuineFormAccepted(intent);
    });

    it('refuses a key outside the policy', async () => {
      const intent = await intentFor({});
      const other = await intentFor({});
      const fields = { ...intent.upload.fields, key: other.upload.fields.key };
      const posted = await postForm(intent.upload.url, fields, PNG_1x1);
      expect(posted.status).toBe(403);
      expect(posted.code).toBe('AccessDenied');
      expect(await exists(other.upload.fields.key)).toBe(false);
      expect(await exists(intent.upload.fields.key)).toBe(false);
      await expectGenuineFormAccepted(intent);
    });

    it('refuses an expired policy', async () => {
      // The production driver with a one-second policy; the app's own TTL is minutes.
      const driver = new S3StorageDriver(settings);
      const key = `attachment/expiry-${Date.now()}`;
      try {
        const upload = await driver.createUpload({
          key,
          contentType: 'image/png',
          size: PNG_1x1.length,
          expiresAt: new Date(Date.now() + 1000),
          baseUrl: t.url,
        });
        expect(Date.parse(policyOf(upload.fields ?? {}).expiration)).toBeLessThanOrEqual(
          Date.now() + 2000,
        );
        await delay(3000);
        const posted = await postForm(upload.url, upload.fields ?? {}, PNG_1x1);
        expect(posted.status).toBe(403);
        expect(posted.code).toBe('AccessDenied');
        expect(await exists(key)).toBe(false);

        const fresh = await driver.createUpload({
          key,
          contentType: 'image/png',
          size: PNG_1x1.length,
          expiresAt: new Date(Date.now() + 60_000),
          baseUrl: t.url,
        });
        expect((await postForm(fresh.url, fresh.fields ?? {}, PNG_1x1)).status).toBe(204);
        expect(await exists(key)).toBe(true);
        await driver.delete(key);
        await driver.delete(key);
        expect(await exists(key)).toBe(false);
      } finally {
        driver.onModuleDestroy();
      }
    });
  });

  describe('completion checks what the store holds', () => {
    it.each([
      ['a PNG declared as PDF', 'application/pdf', PNG_1x1],
      ['an executable declared as PNG', 'image/png', EXE_HEAD],
    ])('refuses %s with 422 MEDIA_TYPE_MISMATCH and deletes the object', async (_n, type, body) => {
      const intent = await intentFor({ filename: 'doc.pdf', contentType: type, size: body.length });
      const posted = await postForm(intent.upload.url, intent.upload.fields, body);
      expect(posted.status).toBe(204);
      expect(await exists(intent.upload.fields.key)).toBe(true);

      expectErrorEnvelope(
        await completeUpload(t.url, alice.accessToken, intent.mediaId),
        422,
        'MEDIA_TYPE_MISMATCH',
      );
      expect(await exists(intent.upload.fields.key)).toBe(false);
      const meta = await getMedia(t.url, alice.accessToken, intent.mediaId).expect(200);
      expect(meta.body.data).toMatchObject({ status: 'rejected', url: null });
    });

    it('accepts a real PDF', async () => {
      const intent = await intentFor({
        filename: 'doc.pdf',
        contentType: 'application/pdf',
        size: PDF_HEAD.length,
      });
      expect((await postForm(intent.upload.url, intent.upload.fields, PDF_HEAD)).status).toBe(204);
      const done = await completeUpload(t.url, alice.accessToken, intent.mediaId).expect(200);
      expect(done.body.data).toMatchObject({ status: 'ready', width: null, height: null });
      const file = await fetch(done.body.data.url as string);
      expect(Buffer.from(await file.arrayBuffer()).equals(PDF_HEAD)).toBe(true);
      expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="doc\.pdf"/);
    });
  });

  it('stores, stats, reads the head of, streams and deletes server-made objects', async () => {
    const driver = new S3StorageDriver(settings);
    const key = `attachment/driver-${Date.now()}`;
    const data = Buffer.concat([PNG_1x1, Buffer.alloc(256 * 1024, 7)]);
    try {
      expect(await driver.stat(key)).toBeNull();
      await driver.putObject(key, data, 'image/png');
      expect(await driver.stat(key)).toEqual({ size: data.length });
      const head = await driver.readHead(key, 16);
      expect(head.equals(data.subarray(0, 16))).toBe(true);
      const chunks: Buffer[] = [];
      for await (const chunk of await driver.readObject(key)) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).equals(data)).toBe(true);
    } finally {
      await driver.delete(key);
      driver.onModuleDestroy();
    }
    expect(await exists(key)).toBe(false);
  });

  it('does not serve the local driver routes', async () => {
    expectErrorEnvelope(
      await request(t.url)
        .put('/api/v1/media/local/upload?token=a.b')
        .set('Content-Type', 'image/png')
        .send(PNG_1x1),
      404,
      'ROUTE_NOT_FOUND',
    );
    expectErrorEnvelope(
      await request(t.url).get('/api/v1/media/local/download?token=a.b'),
      404,
      'ROUTE_NOT_FOUND',
    );
  });
});
