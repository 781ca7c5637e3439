import { AppException } from '../../common/errors/app.exception';
import { cursorDate, cursorUuid, decodeCursor, encodeCursor, pageOf } from './pagination';

describe('cursors', () => {
  it('round-trip and are URL-safe', () => {
    const cursor = encodeCursor('users.search', ['a_b.c/+=?&']);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor('users.search', cursor, 1)).toEqual(['a_b.c/+=?&']);
  });

  it.each([
    ['garbage', 'not a cursor!'],
    ['JSON that is not an array', Buffer.from('{"a":1}').toString('base64url')],
    ['another list', encodeCursor('users.blocks', ['x'])],
    ['the wrong arity', encodeCursor('users.search', ['x', 'y'])],
    ['a non-string value', Buffer.from('["users.search",1]').toString('base64url')],
  ])('refuse %s with a 422 on the cursor field', (_name, cursor) => {
    expect.assertions(3);
    try {
      decodeCursor('users.search', cursor, 1);
    } catch (error) {
      expect(error).toBeInstanceOf(AppException);
      expect((error as AppException).status).toBe(422);
      expect((error as AppException).details).toEqual([
        { field: 'cursor', message: expect.any(String) },
      ]);
    }
  });

  it('check the types of their values', () => {
    expect(cursorUuid('0198f3b2-7c1a-7b3e-9a1b-1234567890ab')).toBe(
      '0198f3b2-7c1a-7b3e-9a1b-1234567890ab',
    );
    expect(() => cursorUuid("1' or '1'='1")).toThrow(AppException);
    expect(cursorDate('2026-01-02T03:04:05.678Z').getTime()).toBe(
      Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    );
    expect(() => cursorDate('yesterday')).toThrow(AppException);
    expect(() => cursorDate('2026-01-02')).toThrow(AppException);
  });
});

describe('pageOf', () => {
  const cursorOf = (n: number): string => `after-${n}`;

  it('has no next cursor when the extra row is absent', () => {
    expect(pageOf([1, 2, 3], 3, cursorOf)).toEqual({ items: [1, 2, 3], nextCursor: null });
    expect(pageOf([], 3, cursorOf)).toEqual({ items: [], nextCursor: null });
  });

  it('drops the extra row and points the cursor at the last row returned', () => {
    expect(pageOf([1, 2, 3, 4], 3, cursorOf)).toEqual({ items: [1, 2, 3], nextCursor: 'after-3' });
  });
});
