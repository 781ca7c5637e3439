import { AppException } from '../../../common/errors/app.exception';
import type { S3Settings } from '../../../config/app-config';
import { S3StorageDriver } from './s3.driver';

// Signing happens locally; only the last case talks to the network (a closed loopback port).
const settings: S3Settings = {
  endpoint: 'http://127.0.0.1:9',
  region: 'eu-central-1',
  bucket: 'media-bucket',
  accessKeyId: 'AKIAUNITTEST',
  secretAccessKey: 'unit-secret-0123456789',
  forcePathStyle: true,
};

describe('S3StorageDriver', () => {
  let driver: S3StorageDriver;
  beforeEach(() => {
    driver = new S3StorageDriver(settings);
  });
  afterEach(() => driver.onModuleDestroy());

  it('presigns a POST whose policy fixes the key, the exact type, the size range and the expiry', async () => {
    const expiresAt = new Date(Date.now() + 120_000);
    const upload = await driver.createUpload({
      key: 'avatar/0190a000-0000-7000-8000-000000000001',
      contentType: 'image/webp',
      size: 4096,
      expiresAt,
      baseUrl: 'http://ignored.example',
    });
    expect(upload.method).toBe('POST');
    expect(upload.url).toBe('http://127.0.0.1:9/media-bucket');
    expect(upload.expiresAt).toBe(expiresAt);
    const fields = upload.fields ?? {};
    expect(fields).toMatchObject({
      key: 'avatar/0190a000-0000-7000-8000-000000000001',
      'Content-Type': 'image/webp',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    });
    expect(fields['X-Amz-Credential']).toMatch(
      /^AKIAUNITTEST\/\d{8}\/eu-central-1\/s3\/aws4_request$/,
    );
    expect(fields['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/);
    const policy = JSON.parse(Buffer.from(fields.Policy, 'base64').toString('utf8')) as {
      expiration: string;
      conditions: unknown[];
    };
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['eq', '$Content-Type', 'image/webp'],
        ['content-length-range', 1, 4096],
        { key: 'avatar/0190a000-0000-7000-8000-000000000001' },
        { bucket: 'media-bucket' },
      ]),
    );
    expect(JSON.stringify(policy.conditions)).not.toContain('starts-with');
    expect(Math.abs(Date.parse(policy.expiration) - expiresAt.getTime())).toBeLessThanOrEqual(1000);
  });

  it('presigns a short GET with the content type and a sanitised, RFC 5987 disposition', async () => {
    const url = new URL(
      await driver.createDownloadUrl({
        key: 'attachment/0190a000-0000-7000-8000-000000000002',
        contentType: 'application/pdf',
        filename: 'Résumé (final).pdf',
        expiresAt: new Date(Date.now() + 60_000),
        baseUrl: 'http://ignored.example',
      }),
    );
    expect(`${url.origin}${url.pathname}`).toBe(
      'http://127.0.0.1:9/media-bucket/attachment/0190a000-0000-7000-8000-000000000002',
    );
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeGreaterThanOrEqual(59);
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(60);
    expect(url.searchParams.get('response-content-type')).toBe('application/pdf');
    expect(url.searchParams.get('response-content-disposition')).toBe(
      `attachment; filename="R_sum_ (final).pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%28final%29.pdf`,
    );
  });

  it('never presigns for less than a second, even for a past expiry', async () => {
    const url = new URL(
      await driver.createDownloadUrl({
        key: 'attachment/x',
        contentType: 'image/png',
        filename: 'a.png',
        expiresAt: new Date(Date.now() - 5000),
        baseUrl: '',
      }),
    );
    expect(url.searchParams.get('X-Amz-Expires')).toBe('1');
  });

  it('answers 503 DEPENDENCY_UNAVAILABLE when the store cannot be reached', async () => {
    const error = await driver.stat('attachment/x').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppException);
    expect((error as AppException).code).toBe('DEPENDENCY_UNAVAILABLE');
  });
});
