import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { signGrant } from '../../src/modules/media/storage/signed-url';
import { startTestApp, type TestApp } from '../support/app';
import { signUpBearer, smtpOtpReader, type BearerSession } from '../support/auth';
import { expectErrorEnvelope } from '../support/envelope';
import {
  completeUpload,
  createIntent,
  getMedia,
  PNG_1x1,
  putFile,
  rawRequest,
  type RawResponse,
  type UploadIntent,
} from '../support/media';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

/** V8's collector, exposed at run time (Jest's workers don't start with --expose-gc). */
function exposeGc(): (options?: { type: 'minor' | 'major' }) => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
}

const URL_SECRET = 'media-url-secret-for-tests-0123456789abcdef';
const MB = 1024 * 1024;

/** Reads the error envelope out of a raw response (supertest's helper wants a supertest Response). */
function expectRawError(res: RawResponse, status: number, code: string): void {
  expect({ status: res.status, code: res.json().error?.code }).toEqual({ status, code });
  expect(res.json().success).toBe(false);
}

/** `count` chunks of one reused buffer: the test itself allocates almost nothing while sending. */
function generated(head: Buffer, totalBytes: number, chunkBytes = 64 * 1024): Readable {
  const chunk = Buffer.alloc(chunkBytes, 0x61);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= totalBytes) return void this.push(null);
      const size = Math.min(chunkBytes, totalBytes - sent);
      const piece =
        sent === 0
          ? Buffer.concat([head, chunk.subarray(head.length, size)])
          : chunk.subarray(0, size);
      sent += size;
      this.push(piece);
    },
  });
}

describe('media: the local driver’s signed URLs', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let mediaDir: string;
  let alice: BearerSession;

  const filesUnder = (dir: string): string[] =>
    existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }) : [];
  const intentFor = (size: number, contentType = 'application/pdf', filename = 'f.pdf') =>
    createIntent(t.url, alice.accessToken, { filename, contentType, size, purpose: 'attachment' });
  const tokenOf = (url: string) => new URL(url).searchParams.get('token') ?? '';
  const withToken = (url: string, token: string) => {
    const next = new URL(url);
    next.searchParams.set('token', token);
    return next.toString();
  };

  async function readyPdf(bytes: Buffer): Promise<{ intent: UploadIntent; downloadUrl: string }> {
    const intent = await intentFor(bytes.length);
    expect((await putFile(intent, bytes)).status).toBe(200);
    await completeUpload(t.url, alice.accessToken, intent.mediaId).expect(200);
    const meta = await getMedia(t.url, alice.accessToken, intent.mediaId).expect(200);
    return { intent, downloadUrl: meta.body.data.url as string };
  }

  beforeAll(async () => {
    mediaDir = mkdtempSync(path.join(tmpdir(), 'bc-media-'));
    smtp = await startSmtpServer();
    t = await startTestApp({
      env: {
        SMTP_URL: smtp.url,
        MAIL_RETRY_BASE_MS: '50',
        MEDIA_LOCAL_DIR: mediaDir,
        MEDIA_URL_SECRET: URL_SECRET,
        MEDIA_ATTACHMENT_MAX_BYTES: String(128 * MB),
      },
    });
    alice = await signUpBearer(t.url, smtpOtpReader(smtp));
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
    if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
  });

  describe('PUT /media/local/upload', () => {
    it('refuses a body whose Content-Length exceeds the declared size with 413, before reading it', async () => {
      const intent = await intentFor(1000);
      const res = await putFile(intent, Buffer.alloc(5000, 1));
      expectRawError(res, 413, 'PAYLOAD_TOO_LARGE');
      expect(filesUnder(path.join(mediaDir, 'attachment'))).toEqual([]);
    });

    it('stops a chunked upload with 413 the moment it passes the declared size, leaving no file', async () => {
      const intent = await intentFor(1 * MB);
      // No Content-Length: the server can only count bytes as they stream (8 MB would follow).
      const res = await putFile(intent, generated(Buffer.from('%PDF-'), 8 * MB), {
        'Transfer-Encoding': 'chunked',
      });
      expectRawError(res, 413, 'PAYLOAD_TOO_LARGE');
      expect(res.headers.connection).toBe('close');
      expect(filesUnder(path.join(mediaDir, 'attachment'))).toEqual([]);
      expectErrorEnvelope(
        await completeUpload(t.url, alice.accessToken, intent.mediaId),
        422,
        'MEDIA_NOT_UPLOADED',
      );
    });

    it('answers 415 when the Content-Type differs from the declared one', async () => {
      const intent = await intentFor(10);
      const res = await putFile(intent, Buffer.from('%PDF-1.7\n'), { 'Content-Type': 'image/png' });
      expectRawError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('accepts an upload URL once only', async () => {
      const intent = await intentFor(9);
      expect((await putFile(intent, Buffer.from('%PDF-1.7\n'))).status).toBe(200);
      expectRawError(await putFile(intent, Buffer.from('%PDF-1.7\n')), 409, 'MEDIA_URL_USED');
    });

    it('refuses a tampered token, another size or key in the payload, and a download token', async () => {
      const intent = await intentFor(9);
      const token = tokenOf(intent.upload.url);
      const [payload, signature] = token.split('.');
      const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
      const grant = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      const bigger = Buffer.from(JSON.stringify({ ...grant, size: 10 * MB })).toString('base64url');
      const otherKey = Buffer.from(JSON.stringify({ ...grant, key: 'avatar/x' })).toString(
        'base64url',
      );
      for (const forged of [
        `${payload}.${flipped}`,
        `${bigger}.${signature}`,
        `${otherKey}.${signature}`,
        'garbage',
        `${payload}.`,
      ]) {
        const res = await putFile(
          { ...intent, upload: { ...intent.upload, url: withToken(intent.upload.url, forged) } },
          Buffer.from('%PDF-1.7\n'),
        );
        expectRawError(res, 403, 'MEDIA_URL_INVALID');
      }
      // A validly signed download grant is not an upload grant.
      const download = signGrant(
        {
          op: 'get',
          key: grant.key,
          contentType: grant.contentType,
          filename: 'f',
          exp: grant.exp,
        },
        URL_SECRET,
      );
      const res = await putFile(
        { ...intent, upload: { ...intent.upload, url: withToken(intent.upload.url, download) } },
        Buffer.from('%PDF-1.7\n'),
      );
      expectRawError(res, 403, 'MEDIA_URL_INVALID');
      // The genuine URL was never consumed by the forgeries.
      expect((await putFile(intent, Buffer.from('%PDF-1.7\n'))).status).toBe(200);
    });

    it('refuses an expired upload URL', async () => {
      const intent = await intentFor(9);
      const grant = JSON.parse(
        Buffer.from(tokenOf(intent.upload.url).split('.')[0], 'base64url').toString('utf8'),
      );
      const expired = signGrant({ ...grant, exp: Math.floor(Date.now() / 1000) - 1 }, URL_SECRET);
      const res = await putFile(
        { ...intent, upload: { ...intent.upload, url: withToken(intent.upload.url, expired) } },
        Buffer.from('%PDF-1.7\n'),
      );
      expectRawError(res, 403, 'MEDIA_URL_EXPIRED');
    });

    it('answers 422 without a token', async () => {
      const res = await rawRequest(`${t.url}/api/v1/media/local/upload`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/pdf', 'Content-Length': '1' },
        body: Buffer.from('x'),
      });
      expectRawError(res, 422, 'VALIDATION_FAILED');
    });

    it('streams 20 MB and 100 MB uploads to disk without holding them in memory', async () => {
      const head = Buffer.from([0, 0, 0, 0x18, ...Buffer.from('ftypmp42')]);
      const upload = async (size: number): Promise<{ rss: number; mediaId: string }> => {
        const intent = await createIntent(t.url, alice.accessToken, {
          filename: 'clip.mp4',
          contentType: 'video/mp4',
          size,
          purpose: 'attachment',
        });
        const gc = exposeGc();
        gc();
        const before = process.memoryUsage().rss;
        let peak = before;
        // Collect while sampling, so the peak is memory in use, not socket chunks already dropped
        // but not yet collected (they are outside V8's heap and barely push it to collect).
        const sampler = setInterval(() => {
          // A scavenge frees the dropped chunks' wrappers (and their memory) in well under 1 ms.
          gc({ type: 'minor' });
          peak = Math.max(peak, process.memoryUsage().rss);
        }, 20);
        try {
          const res = await putFile(intent, generated(head, size), {
            'Content-Length': String(size),
          });
          expect(res.status).toBe(200);
        } finally {
          clearInterval(sampler);
        }
        return { rss: peak - before, mediaId: intent.mediaId };
      };
      // The first run warms up JIT code and socket buffers; then growth must stay well below the
      // file size, and bounded as the file grows (100 MB costs no more than 20 MB).
      await upload(20 * MB);
      const small = await upload(20 * MB);
      const large = await upload(100 * MB);
      process.stdout.write(
        `media upload RSS growth: 20 MB file ${(small.rss / MB).toFixed(1)} MB, 100 MB file ${(large.rss / MB).toFixed(1)} MB\n`,
      );
      expect(small.rss).toBeLessThan(8 * MB);
      expect(large.rss).toBeLessThan(8 * MB);
      await completeUpload(t.url, alice.accessToken, large.mediaId).expect(200);
      await completeUpload(t.url, alice.accessToken, small.mediaId).expect(200);
    });

    it('answers 422 MEDIA_SIZE_MISMATCH and deletes an object larger than declared', async () => {
      // The local route cannot store more than declared; an S3 object (or a disk edit) could.
      const intent = await intentFor(10);
      const file = path.join(mediaDir, 'attachment', intent.mediaId);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, Buffer.alloc(11, 0x25));
      expectErrorEnvelope(
        await completeUpload(t.url, alice.accessToken, intent.mediaId),
        422,
        'MEDIA_SIZE_MISMATCH',
      );
      expect(existsSync(file)).toBe(false);
    });
  });

  describe('GET /media/local/download', () => {
    const bytes = Buffer.concat([
      Buffer.from('%PDF-1.7\n'),
      Buffer.from(Array.from({ length: 991 }, (_, i) => i % 256)),
    ]);
    let downloadUrl: string;
    beforeAll(async () => {
      ({ downloadUrl } = await readyPdf(bytes));
    });

    it('serves the whole file with Accept-Ranges and an attachment disposition for a PDF', async () => {
      const res = await rawRequest(downloadUrl);
      expect(res.status).toBe(200);
      expect(res.body.equals(bytes)).toBe(true);
      expect(res.headers['accept-ranges']).toBe('bytes');
      expect(res.headers['content-length']).toBe(String(bytes.length));
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="f.pdf"/);
    });

    it.each([
      ['bytes=0-9', 0, 9],
      ['bytes=100-', 100, 999],
      ['bytes=-5', 995, 999],
      ['bytes=990-5000', 990, 999],
    ])('answers %s with 206 and exactly those bytes', async (range, start, end) => {
      const res = await rawRequest(downloadUrl, { headers: { Range: range } });
      expect(res.status).toBe(206);
      expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/1000`);
      expect(res.body.equals(bytes.subarray(start, end + 1))).toBe(true);
    });

    it('answers 416 with Content-Range */size for a range past the end', async () => {
      const res = await rawRequest(downloadUrl, { headers: { Range: 'bytes=1000-' } });
      expectRawError(res, 416, 'MEDIA_RANGE_NOT_SATISFIABLE');
      expect(res.headers['content-range']).toBe('bytes */1000');
    });

    it('refuses a tampered, an expired and an upload token', async () => {
      const token = tokenOf(downloadUrl);
      const [payload] = token.split('.');
      const grant = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      expectRawError(
        await rawRequest(withToken(downloadUrl, `${payload}.AAAA`)),
        403,
        'MEDIA_URL_INVALID',
      );
      const expired = signGrant({ ...grant, exp: Math.floor(Date.now() / 1000) - 1 }, URL_SECRET);
      expectRawError(await rawRequest(withToken(downloadUrl, expired)), 403, 'MEDIA_URL_EXPIRED');
      const upload = signGrant(
        { op: 'put', key: grant.key, contentType: grant.contentType, size: 10, exp: grant.exp },
        URL_SECRET,
      );
      expectRawError(await rawRequest(withToken(downloadUrl, upload)), 403, 'MEDIA_URL_INVALID');
    });

    it('keeps working for the owner and is not single-use', async () => {
      expect((await rawRequest(downloadUrl)).status).toBe(200);
      expect((await rawRequest(downloadUrl)).status).toBe(200);
    });

    it('answers 404 once the object is gone', async () => {
      const { intent, downloadUrl: url } = await readyPdf(Buffer.from('%PDF-1.7\n'));
      rmSync(path.join(mediaDir, 'attachment', intent.mediaId));
      expectRawError(await rawRequest(url), 404, 'MEDIA_NOT_FOUND');
    });
  });

  it('the PNG flow works end to end through the URLs the API hands out', async () => {
    const intent = await createIntent(t.url, alice.accessToken, {
      filename: 'p.png',
      contentType: 'image/png',
      size: PNG_1x1.length,
      purpose: 'avatar',
    });
    expect((await putFile(intent, PNG_1x1)).status).toBe(200);
    const done = await completeUpload(t.url, alice.accessToken, intent.mediaId).expect(200);
    expect((await rawRequest(done.body.data.url)).body.equals(PNG_1x1)).toBe(true);
  });
});
