import { ConfigError, loadConfig } from './load-config';

const base = {
  JWT_ACCESS_SECRET: 'a'.repeat(8) + 'unit-access-secret-0123456789abcdef',
  OTP_SECRET: 'unit-otp-secret-0123456789abcdef-0123456789',
  PASSWORD_PEPPER: 'unit-pepper-0123456789abcdef-0123456789abcd',
};
const s3 = {
  MEDIA_DRIVER: 's3',
  S3_BUCKET: 'media',
  S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
  S3_SECRET_ACCESS_KEY: 's3-secret-value-0123456789',
};
const production = {
  ...base,
  ...s3,
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://app:pw@db.internal:5432/baatcheet',
  CORS_ORIGINS: 'https://chat.example.com',
  COOKIE_SECURE: 'true',
  SMTP_URL: 'smtp://mail.example.com:587',
};

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('media configuration', () => {
  it('defaults to the local driver with a key derived from, but not equal to, the JWT key', () => {
    const config = loadConfig(base);
    expect(config.media).toMatchObject({
      driver: 'local',
      localDir: '.data/media',
      uploadUrlTtlSeconds: 900,
      downloadUrlTtlSeconds: 300,
      maxBytes: { avatar: 5 * 1024 * 1024, attachment: 50 * 1024 * 1024 },
    });
    expect(config.media.urlSecret).toHaveLength(43);
    expect(config.media.urlSecret).not.toBe(base.JWT_ACCESS_SECRET);
    expect(loadConfig({ ...base, MEDIA_URL_SECRET: 'explicit' }).media.urlSecret).toBe('explicit');
  });

  it('holds MEDIA_URL_SECRET to 32 bytes in production, and never prints it', () => {
    const found = problems({ ...production, MEDIA_URL_SECRET: 'short-media-secret' });
    expect(found).toEqual(['MEDIA_URL_SECRET: must be at least 32 bytes in production']);
    expect(found.join()).not.toContain('short-media-secret');
    expect(
      problems({ ...production, MEDIA_URL_SECRET: 'm'.repeat(16) + 'edia-url-secret-0123456789' }),
    ).toEqual([]);
    expect(problems(production)).toEqual([]);
  });

  it('takes the s3 driver with its settings, and names each one that is missing', () => {
    expect(
      loadConfig({ ...base, ...s3, S3_ENDPOINT: 'http://127.0.0.1:7480' }).media,
    ).toMatchObject({
      driver: 's3',
      s3: {
        endpoint: 'http://127.0.0.1:7480',
        region: 'us-east-1',
        bucket: 'media',
        accessKeyId: 'AKIAEXAMPLE',
        secretAccessKey: s3.S3_SECRET_ACCESS_KEY,
        forcePathStyle: true,
      },
    });
    expect(loadConfig({ ...base, ...s3, S3_FORCE_PATH_STYLE: 'false' }).media.s3).toMatchObject({
      endpoint: undefined,
      forcePathStyle: false,
    });
    expect(loadConfig(base).media.s3).toBeUndefined();
    expect(problems({ ...base, MEDIA_DRIVER: 's3' })).toEqual([
      'S3_BUCKET: required when MEDIA_DRIVER=s3',
      'S3_ACCESS_KEY_ID: required when MEDIA_DRIVER=s3',
      'S3_SECRET_ACCESS_KEY: required when MEDIA_DRIVER=s3',
    ]);
    expect(problems({ ...base, ...s3, S3_BUCKET: ' ' })).toEqual([
      'S3_BUCKET: required when MEDIA_DRIVER=s3',
    ]);
    expect(problems({ ...base, ...s3, S3_ENDPOINT: 'ftp://x' })[0]).toMatch(/^S3_ENDPOINT/);
  });

  it('refuses the local driver in production, where no file bytes may reach the API', () => {
    expect(problems({ ...production, MEDIA_DRIVER: 'local' })).toEqual([
      'MEDIA_DRIVER: "local" is refused in production (the API must not receive file bytes); use "s3"',
    ]);
    const { MEDIA_DRIVER: _driver, ...defaulted } = production;
    expect(problems(defaulted)[0]).toMatch(/^MEDIA_DRIVER: "local" is refused in production/);
  });

  it('never prints the S3 secret in a boot error', () => {
    const found = problems({ ...base, ...s3, S3_REGION: '', S3_FORCE_PATH_STYLE: 'maybe' });
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).not.toContain(s3.S3_SECRET_ACCESS_KEY);
  });

  it('refuses bad values by name', () => {
    expect(problems({ ...base, MEDIA_DRIVER: 'ftp' })[0]).toMatch(/^MEDIA_DRIVER/);
    expect(problems({ ...base, MEDIA_PUBLIC_BASE_URL: 'https://x.example.com/' })[0]).toMatch(
      /^MEDIA_PUBLIC_BASE_URL/,
    );
    expect(problems({ ...base, MEDIA_AVATAR_MAX_BYTES: '0' })[0]).toMatch(
      /^MEDIA_AVATAR_MAX_BYTES/,
    );
  });
});
