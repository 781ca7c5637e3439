import { ConfigError, loadConfig } from './load-config';

const SECRETS = {
  JWT_ACCESS_SECRET: 'jwt-secret-value-0123456789abcdefghijklmnop',
  OTP_SECRET: 'otp-secret-value-0123456789abcdefghijklmnop',
  PASSWORD_PEPPER: 'pepper-secret-value-0123456789abcdefghijkl',
};

/** The least a development environment needs. */
const devEnv = (overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => ({
  ...SECRETS,
  ...overrides,
});

/** A complete production environment that must pass. */
const productionEnv = (overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv =>
  devEnv({
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://app:db-password-77@db.internal:5432/baatcheet',
    REDIS_URL: 'redis://:redis-password-88@redis.internal:6379',
    CORS_ORIGINS: 'https://chat.example.com,https://admin.example.com',
    COOKIE_SECURE: 'true',
    SMTP_URL: 'smtp://mailer:smtp-password-99@mail.example.com:587',
    MEDIA_DRIVER: 's3',
    S3_BUCKET: 'media',
    S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
    S3_SECRET_ACCESS_KEY: 's3-secret-value-0123456789',
    ...overrides,
  });

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

const secretValues = (env: NodeJS.ProcessEnv): string[] =>
  [
    env.JWT_ACCESS_SECRET,
    env.OTP_SECRET,
    env.PASSWORD_PEPPER,
    env.DATABASE_URL,
    env.REDIS_URL,
    env.SMTP_URL,
    env.S3_SECRET_ACCESS_KEY,
    'db-password-77',
    'redis-password-88',
    'smtp-password-99',
  ].filter((value): value is string => typeof value === 'string' && value.length > 0);

describe('loadConfig', () => {
  describe('development defaults', () => {
    it('gives a typed config with documented defaults', () => {
      const config = loadConfig(devEnv());
      expect(config).toMatchObject({
        env: 'development',
        isProduction: false,
        http: {
          host: '0.0.0.0',
          port: 3000,
          corsOrigins: [],
          trustProxy: 0,
          jsonBodyLimit: '100kb',
          docsEnabled: true,
          throttle: { ttlMs: 60_000, limit: 600 },
        },
        workersEnabled: true,
        shutdownGraceMs: 10_000,
        database: { driver: 'pglite', dataDir: '.data/pglite', migrateOnStart: true },
        redis: { url: 'redis://127.0.0.1:6379', keyPrefix: 'bc:' },
        cookies: { secure: false, sameSite: 'lax' },
      });
      expect(config.auth.accessSecret).toBe(SECRETS.JWT_ACCESS_SECRET);
    });

    it('converts strings to numbers and booleans, and uses PostgreSQL when DATABASE_URL is set', () => {
      const config = loadConfig(
        devEnv({
          PORT: '8080',
          TRUST_PROXY: '1',
          DOCS_ENABLED: 'false',
          WORKERS: 'off',
          DATABASE_URL: 'postgresql://u@h/db',
          DATABASE_MIGRATE_ON_START: 'no',
          CORS_ORIGINS: ' https://a.example , http://localhost:5173 ',
        }),
      );
      expect(config.http).toMatchObject({
        port: 8080,
        trustProxy: 1,
        docsEnabled: false,
        corsOrigins: ['https://a.example', 'http://localhost:5173'],
      });
      expect(config.workersEnabled).toBe(false);
      expect(config.database).toEqual({
        driver: 'postgres',
        url: 'postgresql://u@h/db',
        poolMax: 10,
        migrateOnStart: false,
      });
    });

    it('treats an empty DATABASE_URL as "use the embedded database"', () => {
      expect(loadConfig(devEnv({ DATABASE_URL: '' })).database.driver).toBe('pglite');
    });
  });

  describe('refuses, naming the variable', () => {
    it.each([
      ['JWT_ACCESS_SECRET', { JWT_ACCESS_SECRET: undefined }],
      ['JWT_ACCESS_SECRET', { JWT_ACCESS_SECRET: '' }],
      ['OTP_SECRET', { OTP_SECRET: undefined }],
      ['PASSWORD_PEPPER', { PASSWORD_PEPPER: undefined }],
      ['PORT', { PORT: 'eighty' }],
      ['PORT', { PORT: '70000' }],
      ['PORT', { PORT: '30.5' }],
      ['REDIS_URL', { REDIS_URL: 'localhost:6379' }],
      ['REDIS_URL', { REDIS_URL: 'http://redis:6379' }],
      ['DATABASE_URL', { DATABASE_URL: 'mysql://u:pw@h/db' }],
      ['NODE_ENV', { NODE_ENV: 'staging' }],
      ['TRUST_PROXY', { TRUST_PROXY: 'true' }],
      ['JSON_BODY_LIMIT', { JSON_BODY_LIMIT: 'lots' }],
      ['CORS_ORIGINS', { CORS_ORIGINS: 'https://chat.example.com/app' }],
      ['COOKIE_SAMESITE', { COOKIE_SAMESITE: 'none' }],
      ['DOCS_ENABLED', { DOCS_ENABLED: 'maybe' }],
    ])('%s (%j)', (name, overrides) => {
      const env = devEnv(overrides);
      const error = configError(env);
      expect(error.name).toBe('ConfigError');
      expect(error.message).toMatch(new RegExp(`\\b${name}\\b`));
      expect(error.problems.some((problem) => problem.startsWith(name))).toBe(true);
    });

    it('reports every bad variable at once', () => {
      const error = configError(
        devEnv({ JWT_ACCESS_SECRET: undefined, PORT: 'x', REDIS_URL: 'x' }),
      );
      for (const name of ['JWT_ACCESS_SECRET', 'PORT', 'REDIS_URL']) {
        expect(error.message).toContain(name);
      }
    });

    it('never prints the value of a secret variable, while showing other bad values', () => {
      const env = devEnv({
        JWT_ACCESS_SECRET: '',
        DATABASE_URL: 'mysql://root:db-password-77@db/prod',
        REDIS_URL: 'tcp://:redis-password-88@redis:6379',
        SMTP_URL: 'http://mailer:smtp-password-99@mail',
        PORT: 'eighty',
      });
      const error = configError(env);
      for (const name of ['DATABASE_URL', 'REDIS_URL', 'SMTP_URL', 'JWT_ACCESS_SECRET']) {
        expect(error.message).toContain(name);
      }
      for (const value of secretValues(env)) expect(error.message).not.toContain(value);
      expect(error.message).toContain('"eighty"');
    });
  });

  describe('production', () => {
    it('accepts a complete production environment, with docs off by default', () => {
      const config = loadConfig(productionEnv());
      expect(config.isProduction).toBe(true);
      expect(config.http.docsEnabled).toBe(false);
      expect(config.cookies.secure).toBe(true);
      expect(config.database.driver).toBe('postgres');
    });

    it('serves docs only when DOCS_ENABLED=true', () => {
      expect(loadConfig(productionEnv({ DOCS_ENABLED: 'true' })).http.docsEnabled).toBe(true);
      expect(loadConfig(productionEnv({ DOCS_ENABLED: '' })).http.docsEnabled).toBe(false);
    });

    it.each(['JWT_ACCESS_SECRET', 'OTP_SECRET', 'PASSWORD_PEPPER'])(
      'refuses %s under 32 bytes, without printing it',
      (name) => {
        const env = productionEnv({ [name]: 'short-but-not-empty-31-bytes-xx' });
        expect(Buffer.byteLength(String(env[name]))).toBe(31);
        const error = configError(env);
        expect(error.problems).toEqual([expect.stringMatching(new RegExp(`^${name}: .*32 bytes`))]);
        for (const value of secretValues(env)) expect(error.message).not.toContain(value);
      },
    );

    it('accepts a secret of exactly 32 bytes, counted in UTF-8', () => {
      // 16 two-byte characters are 32 bytes, though only 16 JavaScript characters.
      const sixteen = 'éèêëàâäôöûüçîïœæ';
      expect(Buffer.byteLength(sixteen)).toBe(32);
      expect(() => loadConfig(productionEnv({ OTP_SECRET: sixteen }))).not.toThrow();
      const error = configError(productionEnv({ OTP_SECRET: sixteen.slice(1) }));
      expect(error.problems).toEqual([expect.stringMatching(/^OTP_SECRET: .*32 bytes/)]);
    });

    it('refuses a trivially weak long secret', () => {
      const error = configError(productionEnv({ PASSWORD_PEPPER: 'a'.repeat(40) }));
      expect(error.problems).toEqual([expect.stringMatching(/^PASSWORD_PEPPER: .*weak/)]);
      expect(error.message).not.toContain('a'.repeat(40));
    });

    it.each([
      ['DATABASE_URL', { DATABASE_URL: '' }, /embedded/],
      ['DATABASE_URL', { DATABASE_URL: undefined }, /embedded/],
      ['CORS_ORIGINS', { CORS_ORIGINS: 'https://chat.example.com,*' }, /wildcard/],
      ['CORS_ORIGINS', { CORS_ORIGINS: '*' }, /wildcard/],
      ['COOKIE_SECURE', { COOKIE_SECURE: 'false' }, /true/],
      ['COOKIE_SECURE', { COOKIE_SECURE: undefined }, /true/],
      ['SMTP_URL', { SMTP_URL: undefined }, /required/],
    ])('refuses %s (%j)', (name, overrides, reason) => {
      const error = configError(productionEnv(overrides));
      expect(error.problems).toEqual([expect.stringMatching(new RegExp(`^${name}: `))]);
      expect(error.problems[0]).toMatch(reason);
    });
  });
});
