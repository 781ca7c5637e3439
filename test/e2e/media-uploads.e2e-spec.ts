import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { signUpBearer, smtpOtpReader, type BearerSession } from '../support/auth';
import { expectErrorEnvelope } from '../support/envelope';
import {
  completeUpload,
  createIntent,
  EXE_HEAD,
  getMedia,
  PDF_HEAD,
  PNG_1x1,
  putFile,
  rawRequest,
} from '../support/media';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('media: upload intent, completion and metadata (local driver)', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let mediaDir: string;
  let alice: BearerSession;
  let bob: BearerSession;

  const auth = (s: BearerSession) => ({ Authorization: `Bearer ${s.accessToken}` });
  const objectPath = (purpose: string, mediaId: string) => path.join(mediaDir, purpose, mediaId);

  beforeAll(async () => {
    mediaDir = mkdtempSync(path.join(tmpdir(), 'bc-media-'));
    smtp = await startSmtpServer();
    t = await startTestApp({
      env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50', MEDIA_LOCAL_DIR: mediaDir },
    });
    const readOtp = smtpOtpReader(smtp);
    [alice, bob] = await Promise.all([signUpBearer(t.url, readOtp), signUpBearer(t.url, readOtp)]);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
    if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
  });

  describe('POST /media/uploads', () => {
    it('creates a pending media record and returns a signed, expiring PUT URL', async () => {
      const res = await request(t.url)
        .post('/api/v1/media/uploads')
        .set(auth(alice))
        .send({
          filename: 'cat.png',
          contentType: 'image/png',
          size: PNG_1x1.length,
          purpose: 'avatar',
        })
        .expect(201);
      expect(res.body.success).toBe(true);
      const { mediaId, upload } = res.body.data;
      expect(mediaId).toMatch(UUID);
      expect(upload.method).toBe('PUT');
      expect(upload.url).toMatch(/\/api\/v1\/media\/local\/upload\?token=[\w-]+\.[\w-]+$/);
      expect(upload.headers).toEqual({ 'Content-Type': 'image/png' });
      expect(Date.parse(upload.expiresAt)).toBeGreaterThan(Date.now());
      expect(upload.url).not.toContain('cat');
      const meta = await getMedia(t.url, alice.accessToken, mediaId).expect(200);
      expect(meta.body.data).toMatchObject({
        id: mediaId,
        status: 'pending',
        url: null,
        filename: 'cat.png',
      });
      expect(meta.body.data).not.toHaveProperty('storageKey');
      expect(meta.body.data).not.toHaveProperty('ownerId');
    });

    it('answers 401 without a token on every media route', async () => {
      const id = '0190a000-0000-7000-8000-000000000000';
      expectErrorEnvelope(
        await request(t.url).post('/api/v1/media/uploads').send({}),
        401,
        'UNAUTHORIZED',
      );
      expectErrorEnvelope(
        await request(t.url).post(`/api/v1/media/uploads/${id}/complete`),
        401,
        'UNAUTHORIZED',
      );
      expectErrorEnvelope(await request(t.url).get(`/api/v1/media/${id}`), 401, 'UNAUTHORIZED');
    });

    it.each([
      [
        'an SVG attachment',
        { contentType: 'image/svg+xml', purpose: 'attachment' },
        'MEDIA_TYPE_NOT_ALLOWED',
      ],
      [
        'a PDF avatar',
        { contentType: 'application/pdf', purpose: 'avatar' },
        'MEDIA_TYPE_NOT_ALLOWED',
      ],
      [
        'an executable',
        { contentType: 'application/x-msdownload', purpose: 'attachment' },
        'MEDIA_TYPE_NOT_ALLOWED',
      ],
      ['an avatar over 5 MB', { size: 5 * 1024 * 1024 + 1, purpose: 'avatar' }, 'MEDIA_TOO_LARGE'],
      ['an attachment over 50 MB', { size: 50 * 1024 * 1024 + 1 }, 'MEDIA_TOO_LARGE'],
    ])('refuses %s with 422', async (_name, override, code) => {
      const body = {
        filename: 'f.png',
        contentType: 'image/png',
        size: 100,
        purpose: 'attachment',
        ...override,
      };
      const res = await request(t.url).post('/api/v1/media/uploads').set(auth(alice)).send(body);
      const error = expectErrorEnvelope(res, 422, code);
      expect(error.details?.length).toBeGreaterThan(0);
    });

    it.each([
      ['a missing field', { filename: 'a.png', contentType: 'image/png', purpose: 'avatar' }],
      [
        'an unknown field',
        { filename: 'a.png', contentType: 'image/png', size: 1, purpose: 'avatar', key: 'x' },
      ],
      ['size 0', { filename: 'a.png', contentType: 'image/png', size: 0, purpose: 'avatar' }],
      [
        'size as a string',
        { filename: 'a.png', contentType: 'image/png', size: '10', purpose: 'avatar' },
      ],
      [
        'a fractional size',
        { filename: 'a.png', contentType: 'image/png', size: 1.5, purpose: 'avatar' },
      ],
      [
        'an unknown purpose',
        { filename: 'a.png', contentType: 'image/png', size: 1, purpose: 'banner' },
      ],
      ['an empty filename', { filename: '', contentType: 'image/png', size: 1, purpose: 'avatar' }],
    ])('refuses a body with %s with 422 VALIDATION_FAILED', async (_name, body) => {
      const res = await request(t.url).post('/api/v1/media/uploads').set(auth(alice)).send(body);
      expectErrorEnvelope(res, 422, 'VALIDATION_FAILED');
    });

    it('answers 422 for a media id that is not a UUID', async () => {
      expectErrorEnvelope(
        await completeUpload(t.url, alice.accessToken, 'nope'),
        422,
        'VALIDATION_FAILED',
      );
      expectErrorEnvelope(
        await getMedia(t.url, alice.accessToken, 'nope'),
        422,
        'VALIDATION_FAILED',
      );
    });
  });

  describe('upload, complete, download', () => {
    it('stores the file, checks it, marks it ready and serves it with a sanitised filename', async () => {
      const intent = await createIntent(t.url, alice.accessToken, {
        filename: '../../etc/pä"ss\u0007word.png',
        contentType: 'image/png',
        size: PNG_1x1.length,
        purpose: 'attachment',
      });
      const put = await putFile(intent, PNG_1x1);
      expect(put.status).toBe(200);
      expect(put.json().data).toEqual({ size: PNG_1x1.length });
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
      const again = await completeUpload(t.url, alice.accessToken, intent.mediaId).expect(200);
      expect(again.body.data.status).toBe('ready');

      const meta = await getMedia(t.url, alice.accessToken, intent.mediaId).expect(200);
      expect(Date.parse(meta.body.data.urlExpiresAt)).toBeGreaterThan(Date.now());
      const file = await rawRequest(meta.body.data.url);
      expect(file.status).toBe(200);
      expect(file.body.equals(PNG_1x1)).toBe(true);
      expect(file.headers['content-type']).toBe('image/png');
      expect(file.headers['content-disposition']).toBe(
        `inline; filename="p__ss_word.png"; filename*=UTF-8''p%C3%A4_ss_word.png`,
      );
      expect(file.headers['x-content-type-options']).toBe('nosniff');
    });

    it('answers 404 to someone else for an attachment, pending or ready, and for completion', async () => {
      const intent = await createIntent(t.url, alice.accessToken, {
        filename: 'doc.pdf',
        contentType: 'application/pdf',
        size: PDF_HEAD.length,
        purpose: 'attachment',
      });
      expectErrorEnvelope(
        await getMedia(t.url, bob.accessToken, intent.mediaId),
        404,
        'MEDIA_NOT_FOUND',
      );
      expect((await putFile(intent, PDF_HEAD)).status).toBe(200);
      expectErrorEnvelope(
        await completeUpload(t.url, bob.accessToken, intent.mediaId),
        404,
        'MEDIA_NOT_FOUND',
      );
      await completeUpload(t.url, alice.accessToken, intent.mediaId).expect(200);
      expectErrorEnvelope(
        await getMedia(t.url, bob.accessToken, intent.mediaId),
        404,
        'MEDIA_NOT_FOUND',
      );
      const unknown = '0190a000-0000-7000-8000-000000000000';
      expectErrorEnvelope(
        await getMedia(t.url, alice.accessToken, unknown),
        404,
        'MEDIA_NOT_FOUND',
      );
      expectErrorEnvelope(
        await completeUpload(t.url, alice.accessToken, unknown),
        404,
        'MEDIA_NOT_FOUND',
      );
    });

    it('lets any signed-in user read a ready avatar, but not a pending one', async () => {
      const intent = await createIntent(t.url, alice.accessToken, {
        filename: 'me.png',
        contentType: 'image/png',
        size: PNG_1x1.length,
        purpose: 'avatar',
      });
      expectErrorEnvelope(
        await getMedia(t.url, bob.accessToken, intent.mediaId),
        404,
        'MEDIA_NOT_FOUND',
      );
      await putFile(intent, PNG_1x1);
      await completeUpload(t.url, alice.accessToken, intent.mediaId).expect(200);
      const seen = await getMedia(t.url, bob.accessToken, intent.mediaId).expect(200);
      expect(seen.body.data.status).toBe('ready');
      expect((await rawRequest(seen.body.data.url)).body.equals(PNG_1x1)).toBe(true);
    });

    it('answers 422 MEDIA_NOT_UPLOADED when nothing was uploaded', async () => {
      const intent = await createIntent(t.url, alice.accessToken, {
        filename: 'x.png',
        contentType: 'image/png',
        size: 10,
        purpose: 'attachment',
      });
      expectErrorEnvelope(
        await completeUpload(t.url, alice.accessToken, intent.mediaId),
        422,
        'MEDIA_NOT_UPLOADED',
      );
    });

    it.each([
      ['a PNG declared as a PDF', 'application/pdf', 'doc.pdf', PNG_1x1],
      ['an executable renamed .png', 'image/png', 'photo.png', EXE_HEAD],
      ['a truncated PNG (a few bytes of it)', 'image/png', 'cut.png', PNG_1x1.subarray(0, 4)],
    ])(
      'refuses %s with 422 MEDIA_TYPE_MISMATCH and deletes the object',
      async (_name, contentType, filename, bytes) => {
        const intent = await createIntent(t.url, alice.accessToken, {
          filename,
          contentType,
          size: 4096,
          purpose: 'attachment',
        });
        expect((await putFile(intent, bytes)).status).toBe(200);
        expect(existsSync(objectPath('attachment', intent.mediaId))).toBe(true);
        expectErrorEnvelope(
          await completeUpload(t.url, alice.accessToken, intent.mediaId),
          422,
          'MEDIA_TYPE_MISMATCH',
        );
        expect(existsSync(objectPath('attachment', intent.mediaId))).toBe(false);
        const meta = await getMedia(t.url, alice.accessToken, intent.mediaId).expect(200);
        expect(meta.body.data).toMatchObject({ status: 'rejected', url: null });
        expectErrorEnvelope(
          await completeUpload(t.url, alice.accessToken, intent.mediaId),
          422,
          'MEDIA_REJECTED',
        );
      },
    );
  });
});
