import { AppException } from '../../common/errors/app.exception';
import {
  directKeyOf,
  isClientMessageId,
  isEmoji,
  normaliseBody,
  normaliseGroupName,
  parseSeq,
} from './chat.rules';
import { decodeActivityCursor, encodeActivityCursor } from './list-cursor';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof AppException ? error.code : 'not an AppException';
  }
}

describe('chat rules', () => {
  describe('isEmoji', () => {
    it.each(['👍', '❤️', '👍🏽', '👨‍👩‍👧‍👦', '🇵🇰', '1️⃣', '#️⃣', '🏳️‍🌈', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '☕', '🫠'])(
      'accepts %s',
      (emoji) => {
        expect(isEmoji(emoji)).toBe(true);
      },
    );

    it.each([
      ['empty', ''],
      ['a letter', 'a'],
      ['a digit', '1'],
      ['two emojis', '👍👍'],
      ['emoji and text', '👍a'],
      ['markup', '<b>'],
      ['a lone joiner', '\u200d'],
      ['a lone skin tone', '🏽'],
      ['a space', ' '],
      ['too many code points', `👨${'\u200d👨'.repeat(8)}`],
    ])('refuses %s', (_, value) => {
      expect(isEmoji(value)).toBe(false);
    });

    it('refuses non-strings', () => {
      expect(isEmoji(undefined)).toBe(false);
      expect(isEmoji(42)).toBe(false);
    });
  });

  describe('parseSeq', () => {
    it.each([
      [0, 0],
      ['0', 0],
      ['42', 42],
      [9007199254740991, 9007199254740991],
    ])('reads %p', (input, expected) => {
      expect(parseSeq(input, 'seq')).toBe(expected);
    });

    it.each([-1, 1.5, '1.5', 'abc', '', ' 1', '1e3', 2 ** 60, '9007199254740992', null, {}, NaN])(
      'refuses %p with a 422',
      (input) => {
        expect(codeOf(() => parseSeq(input, 'seq'))).toBe('VALIDATION_FAILED');
      },
    );

    it('honours a minimum', () => {
      expect(codeOf(() => parseSeq('0', 'before', 1))).toBe('VALIDATION_FAILED');
    });
  });

  describe('bodies and names', () => {
    it('trims and counts code points, not UTF-16 units', () => {
      expect(normaliseBody('  hi  ')).toBe('hi');
      expect(normaliseBody('😀'.repeat(4000))).toHaveLength(8000);
      expect(codeOf(() => normaliseBody('😀'.repeat(4001)))).toBe('VALIDATION_FAILED');
      expect(codeOf(() => normaliseBody(' \n '))).toBe('VALIDATION_FAILED');
      expect(codeOf(() => normaliseBody(undefined))).toBe('VALIDATION_FAILED');
    });

    it('bounds group names to 1-100 characters after trimming', () => {
      expect(normaliseGroupName(`  ${'n'.repeat(100)}  `)).toHaveLength(100);
      expect(codeOf(() => normaliseGroupName('n'.repeat(101)))).toBe('VALIDATION_FAILED');
      expect(codeOf(() => normaliseGroupName('  '))).toBe('VALIDATION_FAILED');
    });

    it('accepts client message ids of 1-64 safe characters, UUIDs included', () => {
      expect(isClientMessageId('a')).toBe(true);
      expect(isClientMessageId('0190d2a4-7c1e-7c8e-9b5e-3f1f2a9d4b11')).toBe(true);
      expect(isClientMessageId('a'.repeat(65))).toBe(false);
      expect(isClientMessageId('a b')).toBe(false);
      expect(isClientMessageId('')).toBe(false);
    });
  });

  it('names a direct pair the same whichever way round', () => {
    const a = '0190d2a4-7c1e-7c8e-9b5e-3f1f2a9d4b11';
    const b = '0190d2a4-7c1e-7c8e-9b5e-3f1f2a9d4b10';
    expect(directKeyOf(a, b)).toBe(directKeyOf(b, a));
    expect(directKeyOf(a, b)).toBe(`${b}:${a}`);
  });

  describe('activity cursor', () => {
    it('round-trips', () => {
      const cursor = {
        at: new Date('2026-01-02T03:04:05.678Z'),
        id: '0190d2a4-7c1e-7c8e-9b5e-3f1f2a9d4b11',
      };
      expect(decodeActivityCursor(encodeActivityCursor(cursor))).toEqual(cursor);
    });

    it.each([
      'x',
      '!!!',
      Buffer.from('{}').toString('base64url'),
      Buffer.from('["c1","yesterday","0190d2a4-7c1e-7c8e-9b5e-3f1f2a9d4b11"]').toString(
        'base64url',
      ),
      Buffer.from(
        '["c0","2026-01-02T03:04:05.678Z","0190d2a4-7c1e-7c8e-9b5e-3f1f2a9d4b11"]',
      ).toString('base64url'),
      Buffer.from('["c1","2026-01-02T03:04:05.678Z","not-a-uuid"]').toString('base64url'),
    ])('refuses %s with a 422', (text) => {
      expect(codeOf(() => decodeActivityCursor(text))).toBe('VALIDATION_FAILED');
    });
  });
});
