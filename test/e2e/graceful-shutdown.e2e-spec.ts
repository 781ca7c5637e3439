import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { canConnect } from '../support/ports';
import { ProbeModule, probeGate } from '../support/probe.module';
import { waitFor, withDeadline } from '../support/wait';

describe('graceful shutdown (in process)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ imports: [ProbeModule] });
  });
  afterAll(async () => {
    probeGate.release();
    await t?.close();
  });

  it('stops accepting connections at once, finishes the request in flight, then closes', async () => {
    const port = Number(new URL(t.url).port);
    const inFlight = request(t.url)
      .get('/api/v1/probe/hold')
      .then((res) => res);
    await withDeadline('the held request to reach its handler', probeGate.waitForHeld(), 5_000);

    let closed = false;
    const closing = t.app.close().then(() => (closed = true));
    await waitFor('the listener to refuse new connections', async () => !(await canConnect(port)), {
      timeoutMs: 10_000,
    });
    expect(closed).toBe(false); // still draining the held request

    probeGate.release();
    const res = await withDeadline('the in-flight request', inFlight, 5_000);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, message: 'OK', data: { released: true } });

    await withDeadline('app.close() after the last request', closing, 5_000);
  });
});
