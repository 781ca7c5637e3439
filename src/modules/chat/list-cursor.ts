import { invalid, isUuid } from './chat.rules';

/** Where a page of the conversation list ends: the last row's activity time and id. */
export interface ActivityCursor {
  at: Date;
  id: string;
}

const VERSION = 'c1';

/** Opaque to clients: base64url of a versioned tuple, so its form can change without breaking them. */
export function encodeActivityCursor(cursor: ActivityCursor): string {
  return Buffer.from(JSON.stringify([VERSION, cursor.at.toISOString(), cursor.id])).toString(
    'base64url',
  );
}

export function decodeActivityCursor(text: string): ActivityCursor {
  const bad = () => invalid('cursor', 'cursor is not one this server gave out');
  if (text.length === 0 || text.length > 200 || !/^[A-Za-z0-9_-]+$/.test(text)) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== VERSION) throw bad();
  const [, iso, id] = parsed as unknown[];
  if (typeof iso !== 'string' || !isUuid(id)) throw bad();
  const at = new Date(iso);
  if (Number.isNaN(at.getTime()) || at.toISOString() !== iso) throw bad();
  return { at, id };
}
