import fc from 'fast-check';

/** Strings that break naive parsers, normalisers, renderers and SQL builders. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '   \t\n  ',
  '\u0000',
  'a\u0000b',
  '\uD800', // lone high surrogate
  '\uDFFF', // lone low surrogate
  'x\uDC00\uD800y', // reversed pair
  '\u202Egnp.exe', // RTL override
  '\u200B\u200C\u200D\uFEFF', // zero-width characters, BOM
  `e${'\u0301'.repeat(200)}`, // a pile of combining marks
  '👩‍👩‍👧‍👦', // emoji ZWJ sequence
  '🏳️‍🌈🇮🇳',
  'Z̸̡̛̺͔̝a̶̡̬͉l̵̢͚̃g̶͉͐ȯ̷̝',
  'ﬀ', // normalises to "ff" under NFKC
  'İ', // case-folds to two code points
  'ß',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '0x1F',
  '9'.repeat(400),
  "' OR '1'='1' --",
  '"; DROP TABLE users; --',
  '\\',
  '%00',
  '%',
  '%E0%A4%A',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '<script>alert(1)</script>',
  '{{7*7}}${7*7}',
  '${jndi:ldap://127.0.0.1/a}',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
];

const nastyString = fc.constantFrom(...NASTY_STRINGS);

/** Any string, weighted towards the nasty ones and arbitrary code points (lone surrogates included). */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(nastyString, fc.string({ maxLength: 8 }), nastyString)
      .map((parts) => parts.join('')),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('x', 'é', '😀', '\u0000'), fc.constantFrom(101, 151, 4001, 20_000))
      .map(([unit, count]) => unit.repeat(count)),
  },
);

/** JSON number literals as raw text: out of range, negative zero, huge integers, exponents. */
export const rawNumberLiteral: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '0',
    '-0',
    '-1',
    '1.5',
    '1e309',
    '-1e309',
    '1E400',
    '4.9e-325',
    '9007199254740993',
    '-9007199254740993',
    '123456789012345678901234567890',
    '2147483648',
    '-2147483649',
    '0.1e1',
    '1e-7',
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
);

/** Keys: ordinary, prototype-polluting, empty, unicode. */
export const fieldName: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      '',
      ' ',
      'id',
      'userId',
      'isAdmin',
      'role',
      '$where',
      'a.b',
      'a[b]',
      '\u0000',
      '\uD800',
    ),
  },
);

export function objectText(entries: readonly (readonly [string, string])[]): string {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;
}

/**
 * Any JSON value as raw text, hostile leaves included: the text can hold what `JSON.stringify`
 * never writes (1e309, -0, duplicate keys, `__proto__`).
 */
export const rawJsonValue: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: hostileString.map((s) => JSON.stringify(s)) },
    { weight: 3, arbitrary: rawNumberLiteral },
    { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null', '{}', '[]') },
    {
      weight: 1,
      arbitrary: fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.tuple(fieldName, tie('value')), { maxLength: 4 })
        .map((entries) => objectText(entries)),
    },
  ),
})).value;

/** Nesting at and past the pipeline's depth limit (32), down to absurd. */
export const deepJson: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(8, 31, 33, 100, 5_000), fc.boolean())
  .map(([depth, arrays]) =>
    arrays
      ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
      : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  );

/** A string of `bytes` UTF-8 bytes or so, either side of body and field limits. */
export const hugeString: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(16 * 1024, 64 * 1024, 99 * 1024, 101 * 1024, 1024 * 1024),
    fc.constantFrom('x', 'é', '😀'),
  )
  .map(([bytes, unit]) => unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit))));

/** Raw bytes that are not valid UTF-8: stray continuation bytes, overlong forms, encoded surrogates. */
export const invalidUtf8: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.constantFrom(
      [0xff],
      [0xfe, 0xff],
      [0x80],
      [0xc0, 0xaf], // overlong "/"
      [0xe0, 0x80, 0xaf], // overlong "/"
      [0xed, 0xa0, 0x80], // UTF-8 encoded lone surrogate
      [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
      [0xc3], // truncated sequence
      [0x00],
    ),
    fc.boolean(),
  )
  .map(([bytes, inString]) => {
    const bad = Buffer.from(bytes);
    return inString
      ? Buffer.concat([Buffer.from('{"a":"x'), bad, Buffer.from('"}')])
      : Buffer.concat([Buffer.from('{"a":1,'), bad, Buffer.from('}')]);
  });

/** Text that is not JSON at all, or almost JSON. */
export const malformedJson: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '{',
    '{"a":}',
    '{"a":1,}',
    "{'a':1}",
    '{"a":NaN}',
    '{"a":Infinity}',
    '{"a":undefined}',
    '{"a":1}/*c*/',
    '{"a":1}{"b":2}',
    '{"a":"\\x41"}',
    '{"a":"\\uD83"}',
    '[1,2',
    '\uFEFF{"a":1}',
    'nul',
    '"unterminated',
    '{"a":01}',
    '{"a":.5}',
    '{"a":+1}',
  ),
  fc.string({ unit: 'binary', maxLength: 60 }),
);

/** JSON texts that parse but are not an object (strict mode allows only objects and arrays). */
export const jsonScalarOrArray: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('null', 'true', '0', '"text"', '[]', '[{}]', '[null]', '[[[]]]'),
  fc.array(rawJsonValue, { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
);

/** Content types a JSON API must refuse (or parse strictly). */
export const foreignContentType: fc.Arbitrary<string> = fc.constantFrom(
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'text/html',
  'application/octet-stream',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=bogus',
  'application/json-patch+json',
  'application/vnd.api+json',
  'APPLICATION/JSON',
  'application/jsonx',
  '*/*',
  ';;;',
);

/** Path segment values that are not what the route wants: not UUIDs, traversal, encodings. */
export const hostilePathSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'not-a-uuid',
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '00000000000000000000000000000000',
    '{00000000-0000-0000-0000-000000000000}',
    '0',
    '-1',
    '1e309',
    'NaN',
    'null',
    'me',
    '..',
    '.',
    '%2e%2e',
    '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '..%2f..%2f..%2fetc%2fpasswd',
    '..%5c..%5cwindows',
    '%00',
    '%',
    '%zz',
    '%E0%A4%A',
    '%C0%AF',
    '%ED%A0%80',
    '%F0%9F%98%80',
    'a%2Fb',
    'x'.repeat(3000),
  ),
  hostileString.filter((s) => s.length > 0).map((s) => encodeURIComponent(toWellFormed(s))),
  fc.uuid().map((id) => id.toUpperCase()),
  fc.uuid().map((id) => `%20${id}`),
);

/** `encodeURIComponent` throws on lone surrogates; the fuzzer sends those as raw bytes elsewhere. */
export function toWellFormed(text: string): string {
  return text.replace(/[\uD800-\uDFFF]/g, (char, offset: number, whole: string) => {
    const code = char.charCodeAt(0);
    if (code <= 0xdbff) {
      const next = whole.charCodeAt(offset + 1);
      return next >= 0xdc00 && next <= 0xdfff ? char : '\uFFFD';
    }
    const previous = whole.charCodeAt(offset - 1);
    return previous >= 0xd800 && previous <= 0xdbff ? char : '\uFFFD';
  });
}

/** Header-safe (visible ASCII) text, since a client cannot send anything else. */
export const headerText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((s) => s.replace(/[^\x21-\x7e]/g, '')),
  fc.constantFrom(
    '',
    'null',
    'Bearer',
    'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
    'eyJhbGciOiJIUzI1NiJ9.e30.AAAA',
    'a'.repeat(6000),
  ),
);

/**
 * Cookie values: garbage, bad percent-encoding, and cookie-parser's `j:` (JSON) and `s:` (signed)
 * prefixes, which turn a cookie into an object or array if anything reads them unguarded.
 */
export const cookieValue: fc.Arbitrary<string> = fc.oneof(
  headerText.map((text) => text.replace(/[;,\s"\\]/g, '')),
  fc.constantFrom(
    'j:{"a":1}',
    'j:[1,2]',
    'j:null',
    'j:1',
    'j:"x"',
    'j:{"__proto__":{"isAdmin":true}}',
    'j:%7B%22a%22%3A1%7D',
    's:abc.def',
    '%E0%A4%A',
    '%',
    'a%00b',
    '',
  ),
);
