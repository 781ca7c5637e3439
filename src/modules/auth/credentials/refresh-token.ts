import { createHash } from 'node:crypto';

/**
 * SHA-256 hex of a refresh token: the only form stored in Redis. A plain hash suffices because the
 * token carries a 256-bit random `jti`, so it cannot be guessed or brute-forced from the hash.
 */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
