import { findHostileKeys } from './hostile-input';

describe('findHostileKeys', () => {
  it('names strings with unpaired surrogates, at any depth', () => {
    expect(findHostileKeys({ a: 'x\uD800', b: { c: ['\uDC00y'] } }, 8, '(body)')).toEqual([
      { field: 'a', message: 'text with an unpaired surrogate is not allowed' },
      { field: 'b.c.0', message: 'text with an unpaired surrogate is not allowed' },
    ]);
    expect(findHostileKeys('\uDC00\uD800', 8, '(payload)')).toEqual([
      { field: '(payload)', message: 'text with an unpaired surrogate is not allowed' },
    ]);
  });

  it('lets paired surrogates (emoji, ZWJ sequences) and NUL through', () => {
    expect(findHostileKeys({ a: '😀👩‍👩‍👧‍👦', b: 'a\u0000b', c: '\u202Ex' }, 8, '(body)')).toEqual([]);
  });

  it('still refuses prototype keys and deep nesting', () => {
    const deep = JSON.parse(`${'{"a":'.repeat(5)}1${'}'.repeat(5)}`) as unknown;
    expect(findHostileKeys(JSON.parse('{"__proto__":{"x":1}}'), 8, '(body)')).toEqual([
      { field: '__proto__', message: 'this key is not allowed' },
    ]);
    expect(findHostileKeys(deep, 2, '(body)')).toEqual([
      { field: 'a.a.a', message: 'nesting deeper than 2 levels' },
    ]);
  });
});
