import { AppException } from '../../../common/errors/app.exception';
import { commonPasswords, PasswordPolicy } from './password-policy';

describe('PasswordPolicy', () => {
  const policy = new PasswordPolicy();
  const identity = { username: 'Alice_01', email: 'Alice.Smith@Example.com' };
  const passphrase = 'violet tractor marmalade 42 under';

  describe('common-password list', () => {
    it('holds at least 10,000 entries, loaded once', () => {
      expect(commonPasswords().size).toBeGreaterThanOrEqual(10_000);
      expect(commonPasswords()).toBe(commonPasswords());
    });

    it('has well over 3,000 entries that satisfy the length policy (ASVS 6.2.4)', () => {
      const eligible = [...commonPasswords()].filter((p) => [...p].length >= 8);
      expect(eligible.length).toBeGreaterThanOrEqual(3_000);
    });

    it.each(['password', '12345678', 'iloveyou', 'qwertyuiop', 'password1', 'trustno1'])(
      'refuses %p',
      (password) => {
        expect(commonPasswords().has(password)).toBe(true);
        expect(policy.check(password, {})).toEqual([expect.stringMatching(/common/)]);
      },
    );

    it('compares case-insensitively (the list is lower case)', () => {
      expect(policy.check('Password1', {})).toHaveLength(1);
      expect(policy.check('PASSWORD', {})).toHaveLength(1);
      expect(policy.check('IloveYou', {})).toHaveLength(1);
    });

    it('checks the password exactly as typed (no trimming)', () => {
      expect(policy.check(' password ', {})).toEqual([]);
    });
  });

  describe('length in code points', () => {
    it('refuses the empty string', () => {
      expect(policy.check('', {})).toEqual([expect.stringMatching(/at least 8/)]);
    });

    it('counts an emoji (two UTF-16 units) as one character', () => {
      expect('😀'.repeat(7)).toHaveLength(14); // 14 UTF-16 units, but 7 code points
      expect(policy.check('😀'.repeat(7), {})).toEqual([expect.stringMatching(/at least 8/)]);
      expect(policy.check('😀'.repeat(8), {})).toEqual([]);
    });

    it('accepts 8 and 128 code points, refuses 7 and 129', () => {
      expect(policy.check('x7!kQz9', {})).toEqual([expect.stringMatching(/at least 8/)]);
      expect(policy.check('x7!kQz9w', {})).toEqual([]);
      expect(policy.check('a'.repeat(128), {})).toEqual([]);
      expect(policy.check('a'.repeat(129), {})).toEqual([expect.stringMatching(/at most 128/)]);
      expect(policy.check('😀'.repeat(128), {})).toEqual([]);
      expect(policy.check('😀'.repeat(129), {})).toEqual([expect.stringMatching(/at most 128/)]);
    });

    it('refuses very long input quickly, without any other work', () => {
      const started = process.hrtime.bigint();
      expect(policy.check('b'.repeat(10_000), identity)).toEqual([
        expect.stringMatching(/at most 128/),
      ]);
      expect(policy.check('x'.repeat(1_000_000), {})).toHaveLength(1);
      expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(200);
    });
  });

  describe('any characters, no composition rules', () => {
    it('accepts a random passphrase', () => {
      expect(policy.check(passphrase, identity)).toEqual([]);
    });

    it('accepts eight spaces (not in the list)', () => {
      expect(policy.check('        ', {})).toEqual([]);
    });

    it('accepts lower case only, digits only (when uncommon), NUL bytes and non-Latin scripts', () => {
      expect(policy.check('zqxwvmplok', {})).toEqual([]);
      expect(policy.check('90417358263', {})).toEqual([]);
      expect(policy.check('ab\u0000cd\u0000ef', {})).toEqual([]);
      expect(policy.check('पासवर्डसुरक्षित', {})).toEqual([]);
      expect(policy.check('密码非常安全的一句话', {})).toEqual([]);
    });

    it('refuses an unpaired surrogate (it cannot be encoded as UTF-8)', () => {
      expect(policy.check('abcdefgh\uD800', {})).toEqual([expect.stringMatching(/invalid/)]);
      expect(policy.check('\uDC00abcdefgh', {})).toEqual([expect.stringMatching(/invalid/)]);
    });
  });

  describe('identity', () => {
    it('refuses the username, case-insensitively', () => {
      expect(policy.check('alice_01x', { username: 'Alice_01X' })).toEqual([
        expect.stringMatching(/username/),
      ]);
    });

    it('refuses the email and its local part, case-insensitively', () => {
      expect(policy.check('alice.smith@example.com', identity)).toEqual([
        expect.stringMatching(/email/),
      ]);
      expect(policy.check('ALICE.SMITH', identity)).toEqual([expect.stringMatching(/email/)]);
    });

    it('accepts a password that merely contains the username', () => {
      expect(policy.check('alice_01 rides north', identity)).toEqual([]);
    });

    it('ignores missing or empty identity fields', () => {
      expect(policy.check(passphrase, { username: '', email: '' })).toEqual([]);
      expect(policy.check(passphrase, {})).toEqual([]);
    });

    it('reports several problems together', () => {
      expect(policy.check('password', { username: 'password' })).toHaveLength(2);
    });
  });

  describe('assertAcceptable', () => {
    it('passes silently for a good password', () => {
      expect(() => policy.assertAcceptable(passphrase, identity)).not.toThrow();
    });

    it('throws WEAK_PASSWORD (422) with a detail per problem', () => {
      let caught: unknown;
      try {
        policy.assertAcceptable('password', { username: 'password' });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(AppException);
      const exception = caught as AppException;
      expect(exception.code).toBe('WEAK_PASSWORD');
      expect(exception.status).toBe(422);
      expect(exception.message).toBe('Password is too weak');
      expect(exception.details).toHaveLength(2);
      for (const detail of exception.details ?? []) {
        expect(detail).toEqual({ field: 'password', message: expect.any(String) });
      }
    });
  });
});
