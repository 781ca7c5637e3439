import { PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher({ pepper: 'test-pepper-0123456789abcdef', cost: 4 });

  it('hashes with bcrypt at the configured cost and verifies', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    expect(hash).toMatch(/^\$2b\$04\$[./A-Za-z0-9]{53}$/);
    await expect(hasher.verify('correct horse battery staple', hash)).resolves.toBe(true);
    await expect(hasher.verify('correct horse battery stapl', hash)).resolves.toBe(false);
    await expect(hasher.verify('Correct horse battery staple', hash)).resolves.toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    const [a, b] = await Promise.all([hasher.hash('same password'), hasher.hash('same password')]);
    expect(a).not.toBe(b);
  });

  it('keeps bytes beyond bcrypt’s 72-byte limit significant', async () => {
    const prefix = 'p'.repeat(99);
    const hash = await hasher.hash(`${prefix}A`);
    await expect(hasher.verify(`${prefix}A`, hash)).resolves.toBe(true);
    await expect(hasher.verify(`${prefix}B`, hash)).resolves.toBe(false);
  });

  it('keeps bytes after a NUL significant', async () => {
    const hash = await hasher.hash('abc\u0000defghij');
    await expect(hasher.verify('abc\u0000defghij', hash)).resolves.toBe(true);
    await expect(hasher.verify('abc\u0000zzzzzzz', hash)).resolves.toBe(false);
    await expect(hasher.verify('abc', hash)).resolves.toBe(false);
  });

  it('hashes emoji and the empty string without error', async () => {
    const hash = await hasher.hash('😀'.repeat(8));
    await expect(hasher.verify('😀'.repeat(8), hash)).resolves.toBe(true);
    await expect(hasher.verify('😀'.repeat(7), hash)).resolves.toBe(false);
    const empty = await hasher.hash('');
    await expect(hasher.verify('', empty)).resolves.toBe(true);
  });

  it('depends on the pepper', async () => {
    const other = new PasswordHasher({ pepper: 'another-pepper', cost: 4 });
    const hash = await hasher.hash('pepper matters here');
    await expect(other.verify('pepper matters here', hash)).resolves.toBe(false);
  });

  it('does not accept a plain bcrypt of the password (the pre-hash is always applied)', async () => {
    const { hash } = await import('bcrypt');
    const plain = await hash('unpeppered password', 4);
    await expect(hasher.verify('unpeppered password', plain)).resolves.toBe(false);
  });

  it.each([
    ['empty', ''],
    ['garbage', 'not a hash'],
    ['truncated', '$2b$04$abcdefghijklmnopqrstuv'],
    ['argon2', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'],
    ['non-string', null as unknown as string],
  ])('verify returns false for a malformed (%s) hash, without throwing', async (_, bad) => {
    await expect(hasher.verify('whatever password', bad)).resolves.toBe(false);
  });

  it('verifyAgainstDummy always answers false', async () => {
    await expect(hasher.verifyAgainstDummy('anything at all')).resolves.toBe(false);
    await expect(hasher.verifyAgainstDummy('')).resolves.toBe(false);
  });

  it('computes the dummy hash once, even for concurrent first callers', async () => {
    const fresh = new PasswordHasher({ pepper: 'p', cost: 4 });
    const spy = jest.spyOn(fresh, 'hash');
    await Promise.all([fresh.verifyAgainstDummy('a'), fresh.verifyAgainstDummy('b')]);
    await fresh.onModuleInit();
    await fresh.verifyAgainstDummy('c');
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('needsRehash when the stored cost differs from the configured one', async () => {
    const hash = await hasher.hash('rehash me please');
    expect(hasher.needsRehash(hash)).toBe(false);
    const stronger = new PasswordHasher({ pepper: 'test-pepper-0123456789abcdef', cost: 5 });
    expect(stronger.needsRehash(hash)).toBe(true);
    expect(hasher.needsRehash('not a hash')).toBe(true);
  });

  it('rejects bad options', () => {
    expect(() => new PasswordHasher({ pepper: '', cost: 4 })).toThrow(/pepper/);
    expect(() => new PasswordHasher({ pepper: 'x', cost: 3 })).toThrow(/cost/);
    expect(() => new PasswordHasher({ pepper: 'x', cost: 10.5 })).toThrow(/cost/);
  });

  describe('timing at cost 10', () => {
    const real = new PasswordHasher({ pepper: 'timing-pepper', cost: 10 });

    async function timeMs(action: () => Promise<unknown>): Promise<number> {
      const started = process.hrtime.bigint();
      await action();
      return Number(process.hrtime.bigint() - started) / 1e6;
    }

    function median(values: number[]): number {
      const sorted = [...values].sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)];
    }

    it('verifyAgainstDummy takes about as long as a real (failing) verify', async () => {
      const stored = await real.hash('the real password');
      await real.onModuleInit(); // the dummy hash is precomputed at boot
      await real.verify('warm up', stored);

      const verifyTimes: number[] = [];
      const dummyTimes: number[] = [];
      for (let run = 0; run < 5; run += 1) {
        // Interleaved, one at a time, so both see the same machine load.
        verifyTimes.push(await timeMs(() => real.verify('a wrong password', stored)));
        dummyTimes.push(await timeMs(() => real.verifyAgainstDummy('a wrong password')));
      }
      const ratio = median(dummyTimes) / median(verifyTimes);
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(2);
    });
  });
});
