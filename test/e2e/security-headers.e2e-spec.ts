import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { expectErrorEnvelope } from '../support/envelope';
import { ProbeModule } from '../support/probe.module';

const ALLOWED = 'http://localhost:5173';

describe('security middleware', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ imports: [ProbeModule], env: { CORS_ORIGINS: ALLOWED } });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('helmet', () => {
    it.each([
      ['a success', '/api/v1/probe/ok', 200],
      ['an error', '/api/v1/no-such-route', 404],
      ['a health', '/health/live', 200],
    ])('sets locked-down headers on %s response', async (_kind, path, status) => {
      const res = await request(t.url).get(path).expect(status);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cross-origin-resource-policy']).toBe('same-site');
      expect(res.headers['x-powered-by']).toBeUndefined();
      // HSTS only in production (a development server over plain HTTP must not pin HTTPS).
      expect(res.headers['strict-transport-security']).toBeUndefined();
    });

    it('gives /docs a CSP that lets Swagger UI load its own scripts and nothing else', async () => {
      const res = await request(t.url).get('/docs').expect(200);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    });
  });

  describe('CORS', () => {
    it('allows a listed origin with credentials and exposes X-Request-Id', async () => {
      const res = await request(t.url).get('/api/v1/probe/ok').set('Origin', ALLOWED).expect(200);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers['access-control-expose-headers']).toMatch(/X-Request-Id/);
      expect(res.headers.vary).toMatch(/Origin/);
    });

    it('answers a preflight from a listed origin', async () => {
      const res = await request(t.url)
        .options('/api/v1/probe/items')
        .set('Origin', ALLOWED)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,x-request-id');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers['access-control-allow-methods']).toMatch(/POST/);
      expect(res.headers['access-control-allow-headers']).toMatch(/Content-Type/i);
    });

    it.each(['https://evil.example', 'http://localhost:5174', 'null', `${ALLOWED}.evil.example`])(
      'gives origin %s no Access-Control-Allow-Origin, on requests and preflights',
      async (origin) => {
        const simple = await request(t.url).get('/api/v1/probe/ok').set('Origin', origin);
        expect(simple.headers['access-control-allow-origin']).toBeUndefined();
        const preflight = await request(t.url)
          .options('/api/v1/probe/items')
          .set('Origin', origin)
          .set('Access-Control-Request-Method', 'POST');
        expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      },
    );
  });

  describe('compression', () => {
    it('gzips a large body when the client accepts it', async () => {
      const res = await request(t.url).get('/docs-json').set('Accept-Encoding', 'gzip').expect(200);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(res.body.openapi).toMatch(/^3\./); // supertest inflated it
    });

    it('sends it plain when the client does not ask, and never compresses tiny bodies', async () => {
      const plain = await request(t.url).get('/docs-json').set('Accept-Encoding', 'identity');
      expect(plain.headers['content-encoding']).toBeUndefined();
      const tiny = await request(t.url).get('/health/live').set('Accept-Encoding', 'gzip');
      expect(tiny.headers['content-encoding']).toBeUndefined();
    });
  });
});

describe('security middleware in production', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      imports: [ProbeModule],
      env: {
        NODE_ENV: 'production',
        COOKIE_SECURE: 'true',
        CORS_ORIGINS: 'https://chat.example.com',
        // Required in production; nothing is mailed by these tests.
        SMTP_URL: 'smtp://127.0.0.1:2525',
        // Production refuses the local media driver; nothing here reaches the store.
        MEDIA_DRIVER: 's3',
        S3_ENDPOINT: 'http://127.0.0.1:9',
        S3_BUCKET: 'unused',
        S3_ACCESS_KEY_ID: 'unused',
        S3_SECRET_ACCESS_KEY: 'unused-secret',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sends HSTS', async () => {
    const res = await request(t.url).get('/api/v1/probe/ok').expect(200);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('serves no docs unless DOCS_ENABLED=true', async () => {
    expectErrorEnvelope(await request(t.url).get('/docs'), 404, 'ROUTE_NOT_FOUND');
    expectErrorEnvelope(await request(t.url).get('/docs-json'), 404, 'ROUTE_NOT_FOUND');
  });

  it('still hides the reason of an unexpected error', async () => {
    const res = await request(t.url).get('/api/v1/probe/boom');
    expect(expectErrorEnvelope(res, 500, 'INTERNAL_ERROR').message).toBe('Internal server error');
    expect(res.text).not.toContain('hunter2');
  });
});
