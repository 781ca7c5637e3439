import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { expectErrorEnvelope } from '../support/envelope';
import { ProbeModule } from '../support/probe.module';

describe('operations endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ imports: [ProbeModule] });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('GET /health/live answers 200 without touching dependencies', async () => {
    const res = await request(t.url).get('/health/live').expect(200);
    expect(res.body).toEqual({ success: true, message: 'OK', data: { status: 'ok' } });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('GET /health/ready answers 200 with PostgreSQL and Redis up', async () => {
    const res = await request(t.url).get('/health/ready').expect(200);
    expect(res.body).toEqual({
      success: true,
      message: 'OK',
      data: { status: 'ok', checks: { database: { status: 'up' }, redis: { status: 'up' } } },
    });
  });

  it('the health routes are not under the API prefix', async () => {
    expectErrorEnvelope(await request(t.url).get('/api/v1/health/live'), 404, 'ROUTE_NOT_FOUND');
  });

  it('GET /metrics is Prometheus text with process metrics and request durations by route template', async () => {
    await request(t.url).get('/api/v1/probe/items/42').expect(200);
    await request(t.url).get('/api/v1/probe/items/43').expect(200);
    await request(t.url).get('/api/v1/no-such-route').expect(404);
    const res = await request(t.url).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(res.text).toContain(`# TYPE ${name} `);
    }
    expect(res.text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(res.text).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/probe\/items\/:id",status_code="200"\} 2$/m,
    );
    expect(res.text).toMatch(
      /^http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/api\/v1\/probe\/items\/:id",status_code="200"\} 2$/m,
    );
    expect(res.text).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} \d+$/m,
    );
    // Raw paths never become labels (one series per id would explode cardinality).
    expect(res.text).not.toContain('/api/v1/probe/items/42');
    expect(res.text).not.toContain('no-such-route');
  });

  it('GET /docs serves the OpenAPI UI and /docs-json a valid OpenAPI document', async () => {
    const ui = await request(t.url).get('/docs').expect(200);
    expect(ui.headers['content-type']).toMatch(/^text\/html/);
    expect(ui.text).toContain('swagger-ui');
    const json = await request(t.url).get('/docs-json').expect(200);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(json.body.openapi).toMatch(/^3\./);
    expect(json.body.info).toMatchObject({ title: 'Baat Cheet API', version: '1' });
    expect(Object.keys(json.body.paths)).toEqual(
      expect.arrayContaining(['/health/live', '/health/ready', '/api/v1/probe/items']),
    );
    expect(json.body.paths['/metrics']).toBeUndefined();
  });
});

describe('operations with DOCS_ENABLED=false', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { DOCS_ENABLED: 'false' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each(['/docs', '/docs-json'])('%s is 404', async (path) => {
    expectErrorEnvelope(await request(t.url).get(path), 404, 'ROUTE_NOT_FOUND');
  });
});

describe('request logs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ imports: [ProbeModule], captureLogs: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  const parsed = (): Record<string, unknown>[] =>
    (t.logs?.lines ?? []).map((line) => JSON.parse(line) as Record<string, unknown>);

  it('are JSON lines carrying the request id, with credentials and secret fields redacted', async () => {
    const secrets = {
      bearer: 'bearer-secret-6f1c2a',
      cookie: 'cookie-secret-93bd77',
      password: 'password-secret-1a2b',
      token: 'token-secret-3c4d',
      otp: '482913',
      nested: 'nested-refresh-secret-5e6f',
    };
    const res = await request(t.url)
      .post('/api/v1/probe/log')
      .set('X-Request-Id', 'log-test-req-0001')
      .set('Authorization', `Bearer ${secrets.bearer}`)
      .set('Cookie', `access_token=${secrets.cookie}`)
      .send({
        username: 'asha',
        password: secrets.password,
        token: secrets.token,
        otp: secrets.otp,
        session: { tokens: { refreshToken: secrets.nested } },
        headers: { authorization: `Bearer ${secrets.bearer}`, cookie: secrets.cookie },
        // Shaped like a request but without a url: the req serializer must cope, not throw.
        req: { headers: { authorization: `Bearer ${secrets.bearer}` } },
      })
      .expect(200);
    expect(res.headers['x-request-id']).toBe('log-test-req-0001');

    const lines = parsed().filter((line) => line.requestId === 'log-test-req-0001');
    const logged = lines.find((line) => line.msg === 'probe body');
    expect(logged).toMatchObject({
      level: 30,
      context: 'Probe',
      username: 'asha',
      password: '[redacted]',
      token: '[redacted]',
      otp: '[redacted]',
      session: { tokens: { refreshToken: '[redacted]' } },
      headers: { authorization: '[redacted]', cookie: '[redacted]' },
    });
    const completed = lines.find((line) => line.msg === 'request completed');
    expect(completed).toMatchObject({
      req: { method: 'POST', url: '/api/v1/probe/log' },
      res: { statusCode: 200 },
    });

    const everything = t.logs?.text() ?? '';
    for (const value of Object.values(secrets)) expect(everything).not.toContain(value);
  });

  it('log the path without the query string (signed URLs carry tokens there)', async () => {
    await request(t.url)
      .get('/api/v1/probe/items/9?q=signature-secret-77aa')
      .set('X-Request-Id', 'log-test-req-0002')
      .expect(200);
    const completed = parsed().find(
      (line) => line.requestId === 'log-test-req-0002' && line.msg === 'request completed',
    );
    expect(completed).toMatchObject({ req: { url: '/api/v1/probe/items/9' } });
    expect(t.logs?.text()).not.toContain('signature-secret-77aa');
  });
});
