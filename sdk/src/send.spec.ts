import type { AckAnswer } from '../../src/contract';
import { BaatCheetApiError } from './errors';
import { emitUntilAcked, type AckChannel } from './send';

type Step = AckAnswer<unknown> | 'timeout' | 'dropped';

/** A socket stand-in that answers each emit with the next scripted step and records payloads. */
function scriptedChannel(steps: Step[]) {
  const payloads: unknown[] = [];
  let connected = true;
  let connectWaits = 0;
  const channel: AckChannel = {
    whenConnected: () => {
      connectWaits += 1;
      if (connected) return Promise.resolve();
      connected = true; // "reconnects" once someone waits for it
      return Promise.resolve();
    },
    emitWithAck: (_event, payload) => {
      payloads.push(payload);
      const step = steps.shift();
      if (step === undefined) throw new Error('no more scripted steps');
      if (step === 'timeout') {
        return Promise.reject(new BaatCheetApiError(0, 'ACK_TIMEOUT', 'no ack'));
      }
      if (step === 'dropped') {
        connected = false;
        return Promise.reject(new BaatCheetApiError(0, 'ACK_TIMEOUT', 'socket dropped'));
      }
      return Promise.resolve(step as never);
    },
  };
  return { channel, payloads, waits: () => connectWaits };
}

const message = { id: 'm1', seq: 1 };
const payload = { conversationId: 'c1', clientMessageId: 'cm-1', body: 'hi' };
const noSleep = jest.fn(() => Promise.resolve());

describe('emitUntilAcked', () => {
  beforeEach(() => noSleep.mockClear());

  it('retries ack timeouts and dropped sockets with the same payload until acked', async () => {
    const { channel, payloads, waits } = scriptedChannel([
      'timeout',
      'dropped',
      { ok: true, data: message },
    ]);
    await expect(
      emitUntilAcked(channel, 'message:send', payload, { sleep: noSleep }),
    ).resolves.toEqual(message);
    expect(payloads).toHaveLength(3);
    // The very same object (same clientMessageId) every time.
    expect(payloads.every((p) => p === payload)).toBe(true);
    expect(waits()).toBe(3);
    expect(noSleep).toHaveBeenCalledTimes(2);
  });

  it('retries retryable error acks (DEPENDENCY_UNAVAILABLE, RATE_LIMITED) with growing backoff', async () => {
    const { channel, payloads } = scriptedChannel([
      { ok: false, error: { code: 'DEPENDENCY_UNAVAILABLE', message: 'db down' } },
      { ok: false, error: { code: 'RATE_LIMITED', message: 'slow down' } },
      { ok: false, error: { code: 'DEPENDENCY_UNAVAILABLE', message: 'db down' } },
      { ok: true, data: message },
    ]);
    await expect(
      emitUntilAcked(channel, 'message:send', payload, {
        sleep: noSleep,
        backoff: { initialMs: 100, maxMs: 10_000, jitter: 0 },
      }),
    ).resolves.toEqual(message);
    expect(payloads).toHaveLength(4);
    expect(noSleep.mock.calls.map((call: unknown[]) => call[0])).toEqual([100, 200, 400]);
  });

  it('rejects a validation error at once, without retrying', async () => {
    const { channel, payloads } = scriptedChannel([
      { ok: false, error: { code: 'VALIDATION_FAILED', message: 'Validation failed' } },
      { ok: true, data: message },
    ]);
    await expect(
      emitUntilAcked(channel, 'message:send', payload, { sleep: noSleep }),
    ).rejects.toMatchObject({ status: 0, code: 'VALIDATION_FAILED' });
    expect(payloads).toHaveLength(1);
    expect(noSleep).not.toHaveBeenCalled();
  });

  it('gives up after maxAttempts with the last failure', async () => {
    const { channel, payloads } = scriptedChannel(['timeout', 'timeout', 'timeout']);
    await expect(
      emitUntilAcked(channel, 'message:send', payload, { sleep: noSleep, maxAttempts: 2 }),
    ).rejects.toMatchObject({ code: 'ACK_TIMEOUT' });
    expect(payloads).toHaveLength(2);
  });

  it('stops when aborted between attempts', async () => {
    const controller = new AbortController();
    const { channel } = scriptedChannel(['timeout', { ok: true, data: message }]);
    const sleep = jest.fn(() => {
      controller.abort();
      return Promise.reject(new BaatCheetApiError(0, 'CLIENT_CLOSED', 'closed'));
    });
    await expect(
      emitUntilAcked(channel, 'message:send', payload, { sleep, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });
});
