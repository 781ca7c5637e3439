import { AppException } from '../../common/errors/app.exception';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 50;

/**
 * Opaque cursors: base64url of a JSON array `[kind, ...values]`. The kind stops a cursor of one
 * list from being replayed against another; clients must treat the string as a token.
 */
export function encodeCursor(kind: string, values: readonly string[]): string {
  return Buffer.from(JSON.stringify([kind, ...values]), 'utf8').toString('base64url');
}

function invalidCursor(): AppException {
  return new AppException('VALIDATION_FAILED', 'Validation failed', [
    { field: 'cursor', message: 'cursor is not a cursor of this list' },
  ]);
}

/** The values of a cursor made by `encodeCursor(kind, …)` with `arity` values, or a 422. */
export function decodeCursor(kind: string, cursor: string, arity: number): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== arity + 1 ||
    parsed[0] !== kind ||
    !parsed.every((value) => typeof value === 'string' && value.length <= 200)
  ) {
    throw invalidCursor();
  }
  return (parsed as string[]).slice(1);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function cursorUuid(value: string): string {
  if (!UUID.test(value)) throw invalidCursor();
  return value;
}

export function cursorDate(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || date.toISOString() !== value) throw invalidCursor();
  return date;
}

/**
 * Repositories fetch `limit + 1` rows; the extra one only says whether another page exists.
 * The cursor points at the last row returned, so the next page starts strictly after it.
 */
export function pageOf<T>(
  rows: T[],
  limit: number,
  cursorOf: (last: T) => string,
): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: cursorOf(items[items.length - 1]) };
}
