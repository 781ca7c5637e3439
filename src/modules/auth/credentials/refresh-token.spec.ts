import { createHash } from 'node:crypto';
import { hashRefreshToken } from './refresh-token';

describe('hashRefreshToken', () => {
  it('is SHA-256 hex of the token, distinct per token', () => {
    const token = 'eyJhbGciOiJIUzI1NiIsInR5cCI6InJ0K2p3dCJ9.eyJzaWQiOiJhIn0.c2ln';
    expect(hashRefreshToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashRefreshToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRefreshToken(`${token}x`)).not.toBe(hashRefreshToken(token));
  });
});
