import { Logger } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { answer, errorAck } from './ws-ack';
import {
  parsePayload,
  ReadPayload,
  SendMessagePayload,
  TypingPayload,
  WS_MAX_PAYLOAD_BYTES,
} from './ws-payloads';

const ID = '0198f3b2-7c1a-7b3e-9a1b-1234567890ab';

function codeOf(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    return error instanceof AppException ? error.code : `not an AppException: ${String(error)}`;
  }
  return undefined;
}

describe('parsePayload', () => {
  it('returns a validated instance of the payload class', () => {
    const payload = parsePayload(SendMessagePayload, {
      conversationId: ID,
      clientMessageId: 'abc-1',
      body: 'hi',
    });
    expect(payload).toBeInstanceOf(SendMessagePayload);
    expect(payload).toEqual({ conversationId: ID, clientMessageId: 'abc-1', body: 'hi' });
    expect(parsePayload(ReadPayload, { conversationId: ID, seq: 3 })).toEqual({
      conversationId: ID,
      seq: 3,
    });
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'x'],
    ['a number', 1],
    ['an array', [{ conversationId: ID }]],
    ['a Buffer', Buffer.from('x')],
    ['a Date', new Date()],
    ['a function', () => ({ conversationId: ID })],
    ['an unknown field', { conversationId: ID, extra: 1 }],
    ['a wrong type', { conversationId: 42 }],
    ['a __proto__ key', JSON.parse(`{"__proto__":{"x":1},"conversationId":"${ID}"}`)],
    ['a nested constructor key', { conversationId: ID, a: { constructor: { prototype: 1 } } }],
    ['deep nesting', JSON.parse(`${'{"a":'.repeat(20)}1${'}'.repeat(20)}`)],
  ])('refuses %s with VALIDATION_FAILED', (_name, raw) => {
    expect(codeOf(() => parsePayload(TypingPayload, raw))).toBe('VALIDATION_FAILED');
  });

  it('refuses payloads over the size limit with PAYLOAD_TOO_LARGE, before validating', () => {
    const raw = { conversationId: ID, pad: 'x'.repeat(WS_MAX_PAYLOAD_BYTES) };
    expect(codeOf(() => parsePayload(TypingPayload, raw))).toBe('PAYLOAD_TOO_LARGE');
    expect(codeOf(() => parsePayload(TypingPayload, { conversationId: ID, n: BigInt(1) }))).toBe(
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('never pollutes a prototype', () => {
    codeOf(() =>
      parsePayload(TypingPayload, JSON.parse('{"__proto__":{"polluted":true},"conversationId":1}')),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('ws acks', () => {
  const logger = { error: jest.fn(), warn: jest.fn() } as unknown as Logger;

  it('maps AppExceptions to their code and message', async () => {
    await expect(
      answer(logger, 'x', () => {
        throw new AppException('CONVERSATION_NOT_FOUND', 'Conversation not found');
      }),
    ).resolves.toEqual({
      ok: false,
      error: { code: 'CONVERSATION_NOT_FOUND', message: 'Conversation not found' },
    });
  });

  it('hides unexpected errors behind INTERNAL_ERROR and logs them', async () => {
    const reply = await answer(logger, 'x', () =>
      Promise.reject(new Error('select * from secrets')),
    );
    expect(reply).toEqual({
      ok: false,
      error: { code: 'INTERNAL_ERROR', message: 'Internal server error' },
    });
    expect((logger.error as jest.Mock).mock.calls.length).toBe(1);
  });

  it('maps an unreachable dependency to DEPENDENCY_UNAVAILABLE', () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    expect(errorAck(down)).toEqual({
      ok: false,
      error: {
        code: 'DEPENDENCY_UNAVAILABLE',
        message: 'A dependency is unavailable, try again shortly',
      },
    });
  });

  it('wraps results as { ok: true, data }', async () => {
    await expect(answer(logger, 'x', () => null)).resolves.toEqual({ ok: true, data: null });
  });
});
