import { ConfigError, loadConfig } from './load-config';

const base = {
  JWT_ACCESS_SECRET: 'a'.repeat(8) + 'unit-access-secret-0123456789abcdef',
  OTP_SECRET: 'unit-otp-secret-0123456789abcdef-0123456789',
  PASSWORD_PEPPER: 'unit-pepper-0123456789abcdef-0123456789abcd',
};
const production = {
  ...base,
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

  it('refuses the s3 driver until it exists, and bad values by name', () => {
    expect(problems({ ...base, MEDIA_DRIVER: 's3' })).toEqual([
      'MEDIA_DRIVER: "s3" is not available yet in this build; use "local"',
    ]);
    expect(problems({ ...base, MEDIA_DRIVER: 'ftp' })[0]).toMatch(/^MEDIA_DRIVER/);
    expect(problems({ ...base, MEDIA_PUBLIC_BASE_URL: 'https://x.example.com/' })[0]).toMatch(
      /^MEDIA_PUBLIC_BASE_URL/,
    );
    expect(problems({ ...base, MEDIA_AVATAR_MAX_BYTES: '0' })[0]).toMatch(
      /^MEDIA_AVATAR_MAX_BYTES/,
    );
  });
});
