import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers readiness with both dependencies up', async () => {
    const res = await request(t.url).get('/health/ready').expect(200);
    expect(res.body.data.checks).toEqual({ database: { status: 'up' }, redis: { status: 'up' } });
  });
});
