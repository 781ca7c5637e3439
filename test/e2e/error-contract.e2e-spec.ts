import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { expectErrorEnvelope } from '../support/envelope';
import { PROBE_SECRET_ERROR, ProbeModule } from '../support/probe.module';

const validItem = { name: 'asha', age: 30, address: { city: 'Pune' } };

describe('error contract', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ imports: [ProbeModule], captureLogs: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('success envelope', () => {
    it('wraps a handler result with the route message', async () => {
      const res = await request(t.url).get('/api/v1/probe/ok').expect(200);
      expect(res.body).toEqual({
        success: true,
        message: 'Probe answered',
        data: { hello: 'world' },
      });
    });

    it('uses "OK" when the route names no message, and transforms a valid DTO', async () => {
      const get = await request(t.url).get('/api/v1/probe/items/7?q=x').expect(200);
      expect(get.body).toEqual({ success: true, message: 'OK', data: { id: '7', q: 'x' } });
      const post = await request(t.url).post('/api/v1/probe/items').send(validItem).expect(201);
      expect(post.body).toEqual({ success: true, message: 'Item accepted', data: validItem });
    });
  });

  describe('404', () => {
    it.each([
      ['GET', '/api/v1/no-such-route'],
      ['GET', '/no-such-route'],
      ['DELETE', '/api/v1/probe/ok'],
    ])('%s %s is ROUTE_NOT_FOUND', async (method, path) => {
      const res = await request(t.url)[method.toLowerCase() as 'get' | 'delete'](path);
      expect(expectErrorEnvelope(res, 404, 'ROUTE_NOT_FOUND').details).toBeUndefined();
    });

    it('a JSON POST to an unknown route is ROUTE_NOT_FOUND too', async () => {
      const res = await request(t.url).post('/api/v1/no-such-route').send({ a: 1 });
      expectErrorEnvelope(res, 404, 'ROUTE_NOT_FOUND');
    });
  });

  describe('body parsing', () => {
    it('malformed JSON is 400 MALFORMED_JSON', async () => {
      const res = await request(t.url)
        .post('/api/v1/probe/items')
        .set('Content-Type', 'application/json')
        .send('{"name": "asha",');
      expectErrorEnvelope(res, 400, 'MALFORMED_JSON');
    });

    it('a JSON scalar (strict mode) is 400 MALFORMED_JSON', async () => {
      const res = await request(t.url)
        .post('/api/v1/probe/items')
        .set('Content-Type', 'application/json')
        .send('"just a string"');
      expectErrorEnvelope(res, 400, 'MALFORMED_JSON');
    });

    it('a 150 kB body over the default 100kb limit is 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await request(t.url)
        .post('/api/v1/probe/items')
        .send({ ...validItem, padding: 'x'.repeat(150 * 1024) });
      expectErrorEnvelope(res, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('a chunked body over the limit (no Content-Length) is 413 too', async () => {
      const req = request(t.url)
        .post('/api/v1/probe/items')
        .set('Content-Type', 'application/json')
        .set('Transfer-Encoding', 'chunked');
      req.write(`{"padding":"${'x'.repeat(80 * 1024)}`);
      req.write(`${'x'.repeat(80 * 1024)}"}`);
      expectErrorEnvelope(await req, 413, 'PAYLOAD_TOO_LARGE');
    });

    it.each([
      ['text/plain', 'hello'],
      ['application/x-www-form-urlencoded', 'name=asha&age=30'],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
      ],
    ])('a %s body is 415 UNSUPPORTED_MEDIA_TYPE', async (type, body) => {
      const res = await request(t.url)
        .post('/api/v1/probe/items')
        .set('Content-Type', type)
        .send(body);
      expectErrorEnvelope(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('a body without any Content-Type is 415', async () => {
      const res = await request(t.url)
        .post('/api/v1/probe/items')
        .set('Content-Length', '2')
        .serialize((body: string) => body)
        .send('{}')
        .unset('Content-Type');
      expectErrorEnvelope(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });
  });

  describe('validation', () => {
    it('is 422 VALIDATION_FAILED with a detail per bad field, nested and unknown ones included', async () => {
      const res = await request(t.url)
        .post('/api/v1/probe/items')
        .send({ name: '', age: 'old', address: { city: 5, zip: '411001' }, isAdmin: true });
      const error = expectErrorEnvelope(res, 422, 'VALIDATION_FAILED');
      const fields = new Set(error.details?.map((detail) => detail.field));
      expect([...fields].sort()).toEqual(['address.city', 'address.zip', 'age', 'isAdmin', 'name']);
      expect(error.details).toContainEqual({
        field: 'isAdmin',
        message: 'property isAdmin should not exist',
      });
    });

    it('a POST without a body is 422 (required fields), not a 500', async () => {
      const res = await request(t.url).post('/api/v1/probe/items');
      const error = expectErrorEnvelope(res, 422, 'VALIDATION_FAILED');
      expect(error.details?.map((detail) => detail.field)).toEqual(
        expect.arrayContaining(['name', 'age', 'address']),
      );
    });

    it('a JSON array where an object is expected is 422, not a 500', async () => {
      const res = await request(t.url).post('/api/v1/probe/items').send([validItem]);
      expectErrorEnvelope(res, 422, 'VALIDATION_FAILED');
    });

    it('a query parameter given twice is 422, not an array', async () => {
      const res = await request(t.url).get('/api/v1/probe/items/1?q=a&q=b');
      const error = expectErrorEnvelope(res, 422, 'VALIDATION_FAILED');
      expect(error.details).toEqual([{ field: 'q', message: expect.any(String) }]);
    });

    it.each([
      ['{"__proto__": {"polluted": "yes"}, "name": "a"}', '__proto__'],
      ['{"address": {"constructor": {"prototype": {"polluted": "yes"}}}}', 'address.constructor'],
      ['{"tags": [{"__proto__": {"polluted": "yes"}}]}', 'tags.0.__proto__'],
    ])('prototype keys are 422 (%s)', async (body, field) => {
      const res = await request(t.url)
        .post('/api/v1/probe/items')
        .set('Content-Type', 'application/json')
        .send(body);
      const error = expectErrorEnvelope(res, 422, 'VALIDATION_FAILED');
      expect(error.details).toContainEqual({ field, message: expect.any(String) });
      // The app runs in this process: its Object.prototype is ours.
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    });
  });

  describe('unexpected errors', () => {
    it('are a generic 500 INTERNAL_ERROR; the message and stack go to the log with the request id', async () => {
      const res = await request(t.url)
        .get('/api/v1/probe/boom')
        .set('X-Request-Id', 'boom-request-0001');
      const error = expectErrorEnvelope(res, 500, 'INTERNAL_ERROR');
      expect(error).toEqual({ code: 'INTERNAL_ERROR', message: 'Internal server error' });
      expect(res.text).not.toContain('hunter2');
      expect(res.text).not.toContain('ProbeController');

      const line = t.logs?.lines
        .map((text) => JSON.parse(text) as Record<string, unknown>)
        .find((entry) => JSON.stringify(entry).includes(PROBE_SECRET_ERROR));
      expect(line).toBeDefined();
      expect(line?.requestId).toBe('boom-request-0001');
      expect(line?.level).toBe(50);
      expect(JSON.stringify(line)).toMatch(/ProbeController\.boom/);
    });
  });

  describe('X-Request-Id', () => {
    it('echoes a well-formed incoming id, on success and in error bodies', async () => {
      const ok = await request(t.url)
        .get('/api/v1/probe/ok')
        .set('X-Request-Id', 'req-abc.123:XYZ_9');
      expect(ok.headers['x-request-id']).toBe('req-abc.123:XYZ_9');
      const missing = await request(t.url)
        .get('/api/v1/nope')
        .set('X-Request-Id', 'edge-42-abcdef');
      expect(expectErrorEnvelope(missing, 404, 'ROUTE_NOT_FOUND')).toBeDefined();
      expect(missing.body.requestId).toBe('edge-42-abcdef');
    });

    it.each([
      ['spaces', 'has spaces in it'],
      ['500 characters', 'a'.repeat(500)],
      ['too short', 'abc'],
      ['disallowed characters', 'abc/def<script>'],
    ])('replaces an invalid one (%s) with a fresh id', async (_case, incoming) => {
      const res = await request(t.url).get('/api/v1/nope').set('X-Request-Id', incoming);
      expectErrorEnvelope(res, 404, 'ROUTE_NOT_FOUND');
      expect(res.headers['x-request-id']).not.toBe(incoming);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('makes a new unique id when none is sent', async () => {
      const [a, b] = await Promise.all([
        request(t.url).get('/health/live'),
        request(t.url).get('/health/live'),
      ]);
      expect(a.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });
  });
});

describe('error contract with a small JSON_BODY_LIMIT', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ imports: [ProbeModule], env: { JSON_BODY_LIMIT: '1kb' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 413 above the configured limit and accepts a body under it', async () => {
    const over = await request(t.url)
      .post('/api/v1/probe/items')
      .send({ ...validItem, tags: ['x'.repeat(1100)] });
    expectErrorEnvelope(over, 413, 'PAYLOAD_TOO_LARGE');
    await request(t.url)
      .post('/api/v1/probe/items')
      .send({ ...validItem, tags: ['x'.repeat(900)] })
      .expect(201);
  });
});
