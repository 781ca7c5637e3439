import { isWellFormedOtp, OtpCodec } from './otp';

describe('OtpCodec', () => {
  const codec = new OtpCodec('otp-secret-for-tests');
  const email = 'alice@example.com';

  it('generates six digits, zero-padded, varying', () => {
    const codes = Array.from({ length: 200 }, () => codec.generate());
    for (const code of codes) expect(code).toMatch(/^[0-9]{6}$/);
    expect(new Set(codes).size).toBeGreaterThan(190);
  });

  it('zero-pads small values', () => {
    // otp.ts reads `randomInt` off the CommonJS module at call time, so spying on it works.
    const crypto = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const spy = jest.spyOn(crypto, 'randomInt').mockImplementation(() => 42);
    try {
      expect(codec.generate()).toBe('000042');
      expect(spy).toHaveBeenCalledWith(0, 1_000_000);
    } finally {
      spy.mockRestore();
    }
  });

  it('digests to hex HMAC-SHA-256, deterministic per secret', () => {
    const digest = codec.digest('register', email, '123456');
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(codec.digest('register', email, '123456')).toBe(digest);
    expect(new OtpCodec('another-secret').digest('register', email, '123456')).not.toBe(digest);
  });

  it('binds the digest to purpose, email and code', () => {
    const digest = codec.digest('register', email, '123456');
    expect(codec.digest('reset', email, '123456')).not.toBe(digest);
    expect(codec.digest('register', 'bob@example.com', '123456')).not.toBe(digest);
    expect(codec.digest('register', email, '123457')).not.toBe(digest);
  });

  it('normalises the email (case, surrounding spaces)', () => {
    expect(codec.digest('reset', '  Alice@Example.COM ', '000001')).toBe(
      codec.digest('reset', email, '000001'),
    );
  });

  it('matches the right code only', () => {
    const stored = codec.digest('register', email, '012345');
    expect(codec.matches('register', email, '012345', stored)).toBe(true);
    expect(codec.matches('register', 'ALICE@example.com', '012345', stored)).toBe(true);
    expect(codec.matches('register', email, '012346', stored)).toBe(false);
    expect(codec.matches('reset', email, '012345', stored)).toBe(false);
    expect(codec.matches('register', 'bob@example.com', '012345', stored)).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['five digits', '12345'],
    ['seven digits', '1234567'],
    ['trailing newline', '123456\n'],
    ['spaces', ' 123456'],
    ['letters', '12345a'],
    ['non-ASCII digits', '١٢٣٤٥٦'],
    ['number', 123456 as unknown as string],
  ])('refuses a malformed code (%s) without throwing', (_, otp) => {
    const stored = codec.digest('register', email, '123456');
    expect(codec.matches('register', email, otp, stored)).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['short', 'abc'],
    ['uppercase hex', 'A'.repeat(64)],
    ['too long', 'a'.repeat(65)],
    ['null', null],
    ['undefined', undefined],
  ])('refuses a stored value of the wrong shape (%s) without throwing', (_, stored) => {
    expect(codec.matches('register', email, '123456', stored)).toBe(false);
  });

  it('refuses an empty secret', () => {
    expect(() => new OtpCodec('')).toThrow(/secret/);
  });

  it('isWellFormedOtp', () => {
    expect(isWellFormedOtp('000000')).toBe(true);
    expect(isWellFormedOtp('00000')).toBe(false);
    expect(isWellFormedOtp(123456)).toBe(false);
  });
});
