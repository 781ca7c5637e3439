import { AppException } from '../../common/errors/app.exception';

/**
 * The chat module's input rules, in one place: the REST DTOs and the services (which the
 * Socket.IO gateway calls with its own payloads) enforce the same limits.
 */
export const MESSAGE_BODY_MAX = 4000;
export const CLIENT_MESSAGE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_ATTACHMENTS = 10;
export const GROUP_NAME_MAX = 100;
/** Users named in one create-group or add-members request. */
export const MAX_MEMBER_IDS = 256;
/** Active members a group may have: every message fans out to each of them. */
export const GROUP_MEMBER_LIMIT = 1024;
/** Different emojis one user may put on one message. */
export const MAX_REACTIONS_PER_USER = 20;
export const EMOJI_MAX_CODE_POINTS = 16;

export const CONVERSATIONS_PAGE_DEFAULT = 20;
export const CONVERSATIONS_PAGE_MAX = 50;
export const MESSAGES_PAGE_DEFAULT = 50;
export const MESSAGES_PAGE_MAX = 100;

export function invalid(field: string, message: string): AppException {
  return new AppException('VALIDATION_FAILED', 'Validation failed', [{ field, message }]);
}

/** Length in Unicode code points, which is what PostgreSQL's char_length counts. */
export function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** Trims a message body; throws a 422 naming `body` when it is empty or too long afterwards. */
export function normaliseBody(body: unknown, field = 'body'): string {
  if (typeof body !== 'string') throw invalid(field, `${field} must be a string`);
  const trimmed = body.trim();
  if (trimmed.length === 0) throw invalid(field, `${field} must not be empty or only whitespace`);
  if (codePoints(trimmed) > MESSAGE_BODY_MAX) {
    throw invalid(field, `${field} must be at most ${MESSAGE_BODY_MAX} characters`);
  }
  return trimmed;
}

export function normaliseGroupName(name: unknown): string {
  if (typeof name !== 'string') throw invalid('name', 'name must be a string');
  const trimmed = name.trim();
  if (trimmed.length === 0 || codePoints(trimmed) > GROUP_NAME_MAX) {
    throw invalid('name', `name must be 1 to ${GROUP_NAME_MAX} characters`);
  }
  return trimmed;
}

export function isClientMessageId(value: unknown): value is string {
  return typeof value === 'string' && CLIENT_MESSAGE_ID_PATTERN.test(value);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** A sequence number from a client: an integer 0 ≤ n ≤ 2^53 − 1, as a number or decimal string. */
export function parseSeq(value: unknown, field: string, min = 0): number {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,16}$/.test(text)) {
    throw invalid(field, `${field} must be a whole number`);
  }
  const seq = Number(text);
  if (!Number.isSafeInteger(seq) || seq < min) {
    throw invalid(field, `${field} must be a whole number between ${min} and 2^53 - 1`);
  }
  return seq;
}

const PICTOGRAPHIC = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u;
const EMOJI_PART = /^(?:\p{Extended_Pictographic}|\p{Emoji_Component}|\u200D|\uFE0F)$/u;
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * One emoji: a single grapheme of at most 16 code points, built only from pictographs and the
 * parts emoji sequences use (ZWJ, variation selector, skin tones, keycaps, flags, tags), with
 * at least one pictograph, flag or keycap. "a", "1", "👍👍" and markup are refused.
 */
export function isEmoji(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0) return false;
  const points = [...value];
  if (points.length > EMOJI_MAX_CODE_POINTS) return false;
  if (!points.every((point) => EMOJI_PART.test(point))) return false;
  if (!PICTOGRAPHIC.test(value)) return false;
  let count = 0;
  for (const _ of graphemes.segment(value)) {
    count += 1;
    if (count > 1) return false;
  }
  return true;
}

/** The direct_key of a pair: the two ids sorted, so both users name the same conversation. */
export function directKeyOf(a: string, b: string): string {
  const [first, second] = [a.toLowerCase(), b.toLowerCase()].sort();
  return `${first}:${second}`;
}
