import type { Response } from 'supertest';

/**
 * Asserts the contract's error body exactly: `{ success: false, error: { code, message[, details] },
 * requestId }`, with `requestId` equal to the X-Request-Id header. Returns the error for more checks.
 */
export function expectErrorEnvelope(
  res: Response,
  status: number,
  code: string,
): { code: string; message: string; details?: { field: string; message: string }[] } {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.body as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['error', 'requestId', 'success']);
  expect(body.success).toBe(false);
  expect(typeof body.requestId).toBe('string');
  expect(body.requestId).toBe(res.headers['x-request-id']);
  const error = body.error as Record<string, unknown>;
  expect(Object.keys(error).every((key) => ['code', 'message', 'details'].includes(key))).toBe(
    true,
  );
  expect(typeof error.message).toBe('string');
  expect((error.message as string).length).toBeGreaterThan(0);
  if ('details' in error) {
    expect(Array.isArray(error.details)).toBe(true);
    for (const detail of error.details as unknown[]) {
      expect(Object.keys(detail as object).sort()).toEqual(['field', 'message']);
    }
  }
  return error as ReturnType<typeof expectErrorEnvelope>;
}
